"""Every right answer passes whatever state the learner's kernel is in, and the kernel gets its state back.

The tables come from each tests/test_lesson*_checks.py's RIGHT_ANSWERS (found by glob, so new lessons join
by defining one); each answer runs with grad mode off, with float64 as default dtype and inside
torch.inference_mode(), in the calling code.
"""
from __future__ import annotations

import importlib
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
import torch

import helpers.checks  # noqa: F401  (registers every rule)
from check_helpers import verdict
from helpers.checking import REGISTRY
from helpers.torch_state import current

HERE = Path(__file__).resolve().parent


def _tables() -> dict[str, list[dict[str, Any]]]:
    tables: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(HERE.glob("test_lesson*_checks.py")):
        tables.update(getattr(importlib.import_module(path.stem), "RIGHT_ANSWERS", {}))
    return tables


RIGHT = _tables()


@contextmanager
def grad_off() -> Iterator[None]:
    before = torch.is_grad_enabled()
    torch.set_grad_enabled(False)  # what a stray `torch.set_grad_enabled(False)` cell leaves behind
    try:
        yield
    finally:
        torch.set_grad_enabled(before)


@contextmanager
def float64_default() -> Iterator[None]:
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        yield
    finally:
        torch.set_default_dtype(before)


KERNEL_STATES: dict[str, Callable[[], Any]] = {"grad-off": grad_off, "float64": float64_default,
                                               "inference-mode": torch.inference_mode}
CASES = [(eid, i) for eid in sorted(RIGHT) for i in range(len(RIGHT[eid]))]


def test_every_exercise_has_four_right_answers() -> None:
    short = {eid: len(RIGHT.get(eid, [])) for eid in REGISTRY if len(RIGHT.get(eid, [])) < 4}
    assert not short, f"exercises with fewer than 4 right answers in RIGHT_ANSWERS: {short}"


def _passes_and_keeps_state(exercise_id: str, answers: dict[str, Any], name: str) -> None:
    before = current()
    result = verdict(exercise_id, **answers)
    after = current()
    assert result.passed, f"in kernel state {name}: {result.text()}"
    assert after == before, f"in kernel state {name} the check changed: {after.differences(before)}"


@pytest.mark.parametrize("exercise_id", sorted(RIGHT))
@pytest.mark.parametrize("state", sorted(KERNEL_STATES))
def test_reference_answer_passes_in_each_kernel_state(exercise_id: str, state: str) -> None:
    with KERNEL_STATES[state]():
        _passes_and_keeps_state(exercise_id, RIGHT[exercise_id][0], state)


@pytest.mark.parametrize("exercise_id, i", CASES, ids=[f"{e}-{i}" for e, i in CASES])
def test_every_right_answer_passes_in_all_kernel_states_at_once(exercise_id: str, i: int) -> None:
    """Grad mode off, float64 default and inference mode together: one run per answer keeps `make test` fast."""
    with grad_off(), float64_default(), torch.inference_mode():
        _passes_and_keeps_state(exercise_id, RIGHT[exercise_id][i], "grad-off + float64 + inference-mode")
