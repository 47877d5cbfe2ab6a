"""What a learner sees after a check: one small, deterministic result object."""
from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Literal

Status = Literal["passed", "failed", "not_answered", "error"]

_STYLE = {
    # status: (label, text colour, background)
    "passed": ("Correct", "#1b5e20", "#e8f5e9"),
    "failed": ("Not yet", "#b71c1c", "#ffebee"),
    "not_answered": ("Not answered yet", "#5d4037", "#fff8e1"),
    "error": ("Check error", "#4a148c", "#f3e5f5"),
    "interrupted": ("Interrupted", "#37474f", "#eceff1"),
}


@dataclass(frozen=True)
class CheckResult:
    """The verdict of one check: truthy only when the answer passed."""

    exercise: str
    status: Status
    message: str
    hint: str = ""

    @property
    def passed(self) -> bool:
        """True when the answer is right."""
        return self.status == "passed"

    def __bool__(self) -> bool:
        return self.passed

    def text(self) -> str:
        """The full plain-text feedback, hint included."""
        label = _STYLE[self.status][0]
        line = f"[{label}] {self.exercise}: {self.message}"
        return f"{line} Hint: {self.hint}" if self.hint else line

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        label, colour, background = _STYLE[self.status]
        hint = f"<br><b>Hint:</b> {html.escape(self.hint)}" if self.hint else ""
        return (
            f'<div style="border-left:4px solid {colour};background:{background};'
            f'color:{colour};padding:6px 10px;font-family:sans-serif">'
            f"<b>{label}</b> &middot; exercise {html.escape(self.exercise)}: "
            f"{html.escape(self.message)}{hint}</div>"
        )

    def as_dict(self) -> dict[str, str]:
        """A JSON-ready form, for the grader's report."""
        return {"exercise": self.exercise, "status": self.status, "message": self.message, "hint": self.hint}
