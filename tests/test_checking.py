"""The check dispatcher: never raises, says 'not answered' for stubs, keeps the notebook's RNG."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

from helpers import check
from helpers.checking import REGISTRY, WrongAnswer, call_learner, run_check
from helpers.feedback import CheckResult

import helpers.checks  # noqa: F401  (registers every rule)

ROOT = Path(__file__).resolve().parent.parent


def test_unknown_exercise_is_a_message_not_an_exception() -> None:
    result = check("99.9", answer=1)
    assert result.status == "error" and "no exercise called '99.9'" in result.message


def test_missing_keyword_names_the_call_to_make() -> None:
    result = check("00.1")
    assert result.status == "error" and "check('00.1', slope=slope)" in result.hint


def test_stub_reports_not_answered() -> None:
    assert check("00.1", slope=...).status == "not_answered"


def test_check_does_not_touch_the_notebooks_random_stream() -> None:
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    for exercise_id in sorted(REGISTRY):
        run_check(exercise_id, {n: ... for n in REGISTRY[exercise_id].answer_names}, seed=0)
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.parametrize("exercise_id", sorted(REGISTRY))
def test_every_check_survives_garbage(exercise_id: str, garbage: object) -> None:
    names = REGISTRY[exercise_id].answer_names
    result = check(exercise_id, **{n: garbage for n in names})
    assert isinstance(result, CheckResult)
    assert not result.passed
    assert result.status != "error", f"garbage should get a learner-facing verdict, got: {result.text()}"


def test_call_learner_turns_crashes_into_feedback() -> None:
    with pytest.raises(WrongAnswer, match="raised ZeroDivisionError"):
        call_learner(lambda: 1 / 0, name="f")


@pytest.mark.parametrize("exercise_id", sorted(REGISTRY))
def test_every_exercise_has_its_own_tests(exercise_id: str) -> None:
    """Each rule is exercised with right and wrong answers somewhere in tests/."""
    texts = "".join(p.read_text() for p in (ROOT / "tests").glob("test_*.py") if p.name != "test_checking.py")
    assert f'"{exercise_id}"' in texts


def test_every_check_called_in_a_notebook_exists() -> None:
    called = set()
    for folder in ("notebooks", "solutions"):
        for path in (ROOT / folder).glob("*.ipynb"):
            called |= set(re.findall(r'check\(\\"(\d\d[a-z]?\.\d+)\\"', path.read_text()))
    assert called, "no check calls found"
    assert called <= set(REGISTRY), f"unknown exercises called: {sorted(called - set(REGISTRY))}"
