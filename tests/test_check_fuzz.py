"""No check raises, errors or prints a warning, whatever a learner's function returns or does."""
from __future__ import annotations

import warnings
from typing import Any, Callable

import numpy as np
import pytest
import torch

import helpers.checks  # noqa: F401  (registers every rule)
from helpers.checking import MESSAGE_LIMIT, REGISTRY, run_check


class _Sub(torch.Tensor):
    pass


def _like(make: Callable[[torch.Tensor], Any], otherwise: Any) -> Callable[..., Any]:
    return lambda *a, **k: make(a[0]) if a and isinstance(a[0], torch.Tensor) and a[0].dim() > 0 else otherwise


def _raise(exc: BaseException) -> Callable[..., Any]:
    def fn(*a: Any, **k: Any) -> Any:
        raise exc
    return fn


GARBAGE: dict[str, Callable[..., Any]] = {
    "str": lambda *a, **k: "abc", "list": lambda *a, **k: [1, 2], "dict": lambda *a, **k: {"a": 1},
    "float": lambda *a, **k: 1.5, "negative-int": lambda *a, **k: -1, "numpy": lambda *a, **k: np.zeros(3),
    "0-d tensor": lambda *a, **k: torch.zeros(()), "nan": lambda *a, **k: torch.tensor(float("nan")),
    "big": lambda *a, **k: torch.zeros(1000, 1000), "meta": lambda *a, **k: torch.empty(3, device="meta"),
    "subclass": lambda *a, **k: torch.zeros(3).as_subclass(_Sub), "tuple": lambda *a, **k: (torch.zeros(3), torch.zeros(3)),
    "identity": lambda *a, **k: a[0] if a else None,
    "nan-like": _like(lambda x: x * float("nan"), float("nan")), "inf-like": _like(lambda x: x * float("inf"), float("inf")),
    "int-like": _like(lambda x: torch.zeros_like(x, dtype=torch.long), 0),
    "bool-like": _like(lambda x: torch.ones_like(x, dtype=torch.bool), True),
    "complex-like": _like(lambda x: torch.zeros_like(x, dtype=torch.complex64), 1j),
    "fresh-leaf": _like(lambda x: torch.zeros(x.shape).requires_grad_(), 0),
    "long-error": _raise(ValueError("x" * 100_000)), "system-exit": _raise(SystemExit(3)),
}


@pytest.mark.parametrize("exercise_id", sorted(REGISTRY))
def test_garbage_functions_get_a_verdict(exercise_id: str) -> None:
    names = REGISTRY[exercise_id].answer_names
    for label, fn in GARBAGE.items():
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a warning printed at a learner is a bug of the check
            result = run_check(exercise_id, {n: fn for n in names}, seed=0)
        assert result.status in ("failed", "not_answered"), f"{label}: {result.text()}"
        assert len(result.message) <= MESSAGE_LIMIT and len(result.hint) <= MESSAGE_LIMIT, label
