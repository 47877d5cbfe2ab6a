"""Lesson 06's checks: right answers pass for any seed, typical mistakes fail with their hint."""
from __future__ import annotations

import pytest
import torch

from check_helpers import verdict as run

SEEDS = (0, 1, 7, 123, 2024)
GRADS = {"a": 0.0, "b": 1.0, "c": 2.0, "d": 0.0, "e": 1.0}
VALUES = {"a": 3, "b": 2, "c": 2, "d": -2, "e": 28, "f": -2}



def ste_cents(w: torch.Tensor, quantity: torch.Tensor) -> torch.Tensor:
    exact = w * quantity
    return exact + (torch.floor(exact * 100) / 100 - exact).detach()


@pytest.mark.parametrize("seed", SEEDS)
def test_right_answers_pass_for_any_seed(seed: int) -> None:
    assert run("06.1", seed, grads=GRADS)
    assert run("06.1", seed, grads={**GRADS, "c": torch.tensor(2.0)})
    assert run("06.2", seed, values=VALUES)
    assert run("06.2", seed, values={**VALUES, "a": 3.0, "d": torch.tensor(-2.0)})
    assert run("06.3", seed, fixed_forward=lambda w, q: w * q)
    assert run("06.3", seed, fixed_forward=ste_cents)


@pytest.mark.parametrize("key, wrong, hint", [("c", 3.0, "half to even"), ("e", -1.0, "half to even"),
                                              ("b", 0.0, "passes gradient 1"), ("d", 6.0, "ceil's gradient")])
def test_each_wrong_gradient_gets_its_hint(key: str, wrong: float, hint: str) -> None:
    result = run("06.1", grads={**GRADS, key: wrong})
    assert result.status == "failed" and hint in result.hint


@pytest.mark.parametrize("key, wrong, hint", [("a", 2, "stored as exactly 3.0"), ("c", 3, "even neighbour"),
                                              ("e", 29, "just below 29"), ("f", -3, "towards zero")])
def test_each_wrong_value_gets_its_hint(key: str, wrong: float, hint: str) -> None:
    result = run("06.2", values={**VALUES, key: wrong})
    assert result.status == "failed" and hint in result.hint


@pytest.mark.parametrize("answer, hint", [
    (lambda w, q: torch.floor(w * q * 100) / 100, "rounding (floor, round, ceil, trunc) is still on the gradient path"),
    (lambda w, q: torch.round(w * q), "still on the gradient path"),
    (lambda w, q: (w * q).detach(), "cuts the graph"),
    (lambda w, q: (w * q * 100).long() / 100, "cuts the graph"),
    (lambda w, q: w * q * 1.1, "no other factor"),
    (lambda w, q: w * q.sum(), "one predicted price per quantity"),
])
def test_forward_mistakes(answer, hint: str) -> None:
    result = run("06.3", fixed_forward=answer)
    assert result.status == "failed" and hint in result.hint


def test_forward_hard_coded_prices_fail() -> None:
    prices = torch.tensor([2.35, 7.05, 4.70, 11.75, 9.40, 4.70], requires_grad=True)
    assert run("06.3", fixed_forward=lambda w, q: prices).status == "failed"


# right answers, differently written: run under odd kernel states by tests/test_check_states.py
import numpy as np  # noqa: E402

RIGHT_ANSWERS = {
    "06.1": [dict(grads=GRADS), dict(grads={**GRADS, "c": torch.tensor(2.0)}), dict(grads={k: int(v) for k, v in GRADS.items()}),
             dict(grads={k: np.float64(v) for k, v in GRADS.items()})],
    "06.2": [dict(values=VALUES), dict(values={**VALUES, "a": 3.0, "d": torch.tensor(-2.0)}),
             dict(values={k: float(v) for k, v in VALUES.items()}), dict(values={k: np.int64(v) for k, v in VALUES.items()})],
    "06.3": [dict(fixed_forward=lambda w, q: w * q), dict(fixed_forward=ste_cents), dict(fixed_forward=lambda w, q: q * w + 0.0),
             dict(fixed_forward=lambda w, q: torch.mul(w, q.float()))],
}
