"""The one check convention: `check("05.2", answer=...)` runs the registered rules for an exercise.

Rules are plain functions registered with `@exercise("05.2")`. They take the learner's answers as
keyword arguments plus `gen` (a seeded torch.Generator owned by the check, so the notebook's own
random state cannot change a verdict), and signal a wrong answer by raising `WrongAnswer`.
Every rule runs in a known PyTorch state (`helpers.torch_state`), every call of learner code goes
through `call_learner` (time limit, slips told apart). Whatever happens inside, `check` returns a
`CheckResult`; it never raises at a learner.
"""
from __future__ import annotations

import inspect
import math
from dataclasses import dataclass
from typing import Any, Callable

import torch

from helpers.feedback import CheckResult
from helpers.learner_calls import (NotAnswered, TimedOut, WrongAnswer, call_learner, is_unanswered,  # noqa: F401
                                   last_call_changes, short)
from helpers.predictions_reveal import revealing
from helpers.time_limit import LearnerTimeout, limit_of, set_time_limit, time_limit  # noqa: F401
from helpers.torch_state import known_state

PRACTICE_SEED = 0
MESSAGE_LIMIT = 1500  # characters of a message or a hint: a wrong answer must not print megabytes
_wrong_attempts: dict[str, int] = {}


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


def check(exercise_id: str, /, *positional: Any, reveal: bool = False, **answers: Any) -> CheckResult:
    """Check the learner's answers for one exercise; always returns a CheckResult.

    A prediction exercise names its wrong entries; PyTorch's own values appear from the second wrong attempt on,
    or at once with reveal=True."""
    try:
        return _check(exercise_id, positional, reveal, answers)
    except KeyboardInterrupt:  # an interrupt outside the rule (while the lessons' rules import, say)
        return _result(str(exercise_id), "interrupted", "the check was interrupted before it reached a verdict.")


def _check(exercise_id: str, positional: tuple[Any, ...], reveal: bool, answers: dict[str, Any]) -> CheckResult:
    from helpers import checks  # noqa: F401  (importing registers every lesson's rules)

    entry = REGISTRY.get(exercise_id)
    if positional and entry is not None:
        if len(positional) == 1 == len(entry.answer_names) and not answers:
            answers = {entry.answer_names[0]: positional[0]}  # check("07.1", ste_round): unambiguous, accepted
        else:
            return CheckResult(entry.id, "error", "pass the answers by name, not by position.",
                               f"Call it as {_call_form(entry)}.")
    with revealing(reveal or _wrong_attempts.get(str(exercise_id), 0) > 0):
        result = run_check(exercise_id, answers, seed=PRACTICE_SEED)
    if result.status == "failed":
        _wrong_attempts[result.exercise] = _wrong_attempts.get(result.exercise, 0) + 1
    return result


def _call_form(entry: Exercise) -> str:
    return f"check({entry.id!r}, {', '.join(f'{n}={n}' for n in entry.answer_names)})"


def _result(exercise_id: str, status: str, message: str, hint: str = "") -> CheckResult:
    """A CheckResult whose message and hint are capped in length."""
    cap = lambda text: text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 5] + " ... "
    return CheckResult(exercise_id, status, cap(message), cap(hint))  # type: ignore[arg-type]


def run_check(exercise_id: str, answers: dict[str, Any], seed: int) -> CheckResult:
    """Run one exercise's rule with a given seed (the grader uses other seeds than practice)."""
    from helpers import checks  # noqa: F401  (importing registers every lesson's rules)

    entry = REGISTRY.get(exercise_id)
    if entry is None:
        known = ", ".join(sorted(REGISTRY)) or "none"
        return _result(str(exercise_id), "error", f"there is no exercise called {exercise_id!r}.", f"Known exercises: {known}.")
    missing = [n for n in entry.answer_names if n not in answers]
    if missing:
        return _result(entry.id, "error", f"the check needs {', '.join(missing)} as keyword argument(s).",
                       f"Call it as {_call_form(entry)}.")
    if all(is_unanswered(answers[n]) for n in entry.answer_names):
        return _result(entry.id, "not_answered", "replace the `...` or the NotImplementedError stub with your answer.")
    gen = torch.Generator().manual_seed(seed)
    try:
        with known_state():  # grad mode on, float32, no inference or anomaly mode, a forked RNG; all given back after
            note = entry.rule(gen=gen, **{n: answers[n] for n in entry.answer_names})
    except NotAnswered:
        return _result(entry.id, "not_answered", "replace the `...` or the NotImplementedError stub with your answer.")
    except WrongAnswer as wrong:
        return _result(entry.id, "failed", wrong.message, wrong.hint)
    except LearnerTimeout:  # only if learner code ran outside call_learner: still a verdict, not a traceback
        return _result(entry.id, "failed", f"your code ran for more than {time_limit():g} s: a loop that never ends?")
    except KeyboardInterrupt:
        return _result(entry.id, "interrupted", "the check was interrupted before it reached a verdict.",
                       "Run the check again when you are ready; if it never finishes, look for a loop that never ends.")
    except (Exception, SystemExit) as exc:  # a bug of ours or an answer too strange to judge
        return _result(entry.id, "error", f"the check could not judge this answer ({type(exc).__name__}: {short(exc)}).",
                       "Make sure the answer has the form the exercise asks for; if it does, tell the course authors.")
    return _result(entry.id, "passed", note or "well done.")


def close(actual: float, expected: float, tol: float = 1e-5) -> bool:
    """Float comparison that treats NaN as never close."""
    return not (math.isnan(actual) or math.isnan(expected)) and abs(actual - expected) <= tol * (1 + abs(expected))
