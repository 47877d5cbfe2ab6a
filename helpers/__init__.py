"""The course's helpers: answer checks, pictures and sliders. Learners use `from helpers import check`."""
from helpers.checking import check
from helpers.feedback import CheckResult

__all__ = ["check", "CheckResult"]
