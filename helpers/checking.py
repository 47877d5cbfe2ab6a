"""The one check convention: `check("05.2", answer=...)` runs the registered rules for an exercise.

Rules are plain functions registered with `@exercise("05.2")`. They take the learner's answers as
keyword arguments plus `gen` (a seeded torch.Generator owned by the check, so the notebook's own
random state cannot change a verdict), and signal a wrong answer by raising `WrongAnswer`.
Whatever happens inside, `check` returns a `CheckResult`; it never raises at a learner.
"""
from __future__ import annotations

import inspect
import math
from dataclasses import dataclass
from typing import Any, Callable

import torch

from helpers.feedback import CheckResult

PRACTICE_SEED = 0


class WrongAnswer(Exception):
    """Raised by a rule: the answer is wrong; `message` says where, `hint` says why."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class NotAnswered(Exception):
    """Raised by a rule when the learner left the stub in place."""


@dataclass(frozen=True)
class Exercise:
    """A registered exercise: its id, a short title, the rule and the answer names it takes."""

    id: str
    title: str
    rule: Callable[..., str | None]
    answer_names: tuple[str, ...]


REGISTRY: dict[str, Exercise] = {}


def exercise(exercise_id: str, title: str) -> Callable[[Callable[..., str | None]], Callable[..., str | None]]:
    """Register a rule as the check of `exercise_id`."""

    def register(rule: Callable[..., str | None]) -> Callable[..., str | None]:
        names = tuple(p for p in inspect.signature(rule).parameters if p != "gen")
        REGISTRY[exercise_id] = Exercise(exercise_id, title, rule, names)
        return rule

    return register


def is_unanswered(value: Any) -> bool:
    """True for the stubs the exercise build leaves behind (`...` or None)."""
    return value is Ellipsis or value is None


def call_learner(fn: Any, *args: Any, name: str = "your function", **kwargs: Any) -> Any:
    """Call the learner's code; its stub or its crash becomes feedback, never a traceback."""
    if is_unanswered(fn):
        raise NotAnswered()
    if not callable(fn):
        raise WrongAnswer(f"{name} should be a function, but it is a {type(fn).__name__}.",
                          "Define it with `def` and pass the function itself, without calling it.")
    try:
        return fn(*args, **kwargs)
    except NotImplementedError:
        raise NotAnswered() from None
    except (Exception, SystemExit) as exc:  # the learner's bug, reported as feedback
        raise WrongAnswer(f"calling {name} raised {type(exc).__name__}: {_short(exc)}",
                          "Run your function on a small example in a cell of its own and read the error.") from None


def _short(exc: BaseException, limit: int = 160) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else "(no message)"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check(exercise_id: str, /, **answers: Any) -> CheckResult:
    """Check the learner's answers for one exercise; always returns a CheckResult."""
    return run_check(exercise_id, answers, seed=PRACTICE_SEED)


def run_check(exercise_id: str, answers: dict[str, Any], seed: int) -> CheckResult:
    """Run one exercise's rule with a given seed (the grader uses other seeds than practice)."""
    from helpers import checks  # noqa: F401  (importing registers every lesson's rules)

    entry = REGISTRY.get(exercise_id)
    if entry is None:
        known = ", ".join(sorted(REGISTRY)) or "none"
        return CheckResult(str(exercise_id), "error", f"there is no exercise called {exercise_id!r}.",
                           f"Known exercises: {known}.")
    missing = [n for n in entry.answer_names if n not in answers]
    if missing:
        return CheckResult(entry.id, "error", f"the check needs {', '.join(missing)} as keyword argument(s).",
                           f"Call it as check({entry.id!r}, {', '.join(f'{n}={n}' for n in entry.answer_names)}).")
    if all(is_unanswered(answers[n]) for n in entry.answer_names):
        return CheckResult(entry.id, "not_answered", "replace the `...` or the NotImplementedError stub with your answer.")
    gen = torch.Generator().manual_seed(seed)
    try:
        with torch.random.fork_rng(devices=[]):  # keep the notebook's random stream untouched
            note = entry.rule(gen=gen, **{n: answers[n] for n in entry.answer_names})
    except NotAnswered:
        return CheckResult(entry.id, "not_answered", "replace the `...` or the NotImplementedError stub with your answer.")
    except WrongAnswer as wrong:
        return CheckResult(entry.id, "failed", wrong.message, wrong.hint)
    except (Exception, SystemExit) as exc:  # a bug of ours or an answer too strange to judge
        return CheckResult(entry.id, "error", f"the check could not judge this answer ({type(exc).__name__}: {_short(exc)}).",
                           "Make sure the answer has the form the exercise asks for; if it does, tell the course authors.")
    return CheckResult(entry.id, "passed", note or "well done.")


def close(actual: float, expected: float, tol: float = 1e-5) -> bool:
    """Float comparison that treats NaN as never close."""
    return not (math.isnan(actual) or math.isnan(expected)) and abs(actual - expected) <= tol * (1 + abs(expected))
