"""Shared by the lessons' check tests: run a rule with a seed, and demand a failure with a given hint."""
from __future__ import annotations

from typing import Any

from helpers.checking import run_check
from helpers.feedback import CheckResult

SEEDS = [0, 1, 7, 12345]


def verdict(exercise_id: str, seed: int = 0, **answers: Any) -> CheckResult:
    """The rule's verdict on these answers with this seed (the grader uses seeds other than practice's 0)."""
    return run_check(exercise_id, answers, seed=seed)


def assert_fails(exercise_id: str, hint_part: str, **answers: Any) -> None:
    """The answers fail with a hint containing hint_part, for more than one seed."""
    for seed in SEEDS[:2]:
        result = verdict(exercise_id, seed, **answers)
        assert result.status == "failed", result.text()
        assert hint_part in result.hint, result.text()


def assert_all_pass(exercise_id: str, seed: int, right_answers: list[dict[str, Any]]) -> None:
    """Every right answer of a RIGHT_ANSWERS table passes with this seed."""
    for answers in right_answers:
        result = verdict(exercise_id, seed, **answers)
        assert result.passed, result.text()
