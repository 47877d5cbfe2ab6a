"""Lesson 03a's checks: right answers, written several ways, pass for several seeds; each mistake gets its hint."""
from __future__ import annotations

from typing import Any

import pytest
import torch

from check_helpers import SEEDS, assert_all_pass, assert_fails, verdict

RAISES = {"a": True, "b": False, "c": True, "d": False, "e": False, "f": True, "g": True}
CULPRIT = {"node": "ExpBackward0", "tensor": "c"}


def normalize_out_of_place(x: torch.Tensor) -> torch.Tensor:
    y = x.exp()
    y = y / y.sum(dim=-1, keepdim=True)
    return y


def normalize_inplace(x: torch.Tensor) -> torch.Tensor:
    y = x.exp()
    y /= y.sum(dim=-1, keepdim=True)
    return y


def normalize_through_data(x: torch.Tensor) -> torch.Tensor:
    y = x.exp()
    y.data /= y.data.sum(dim=-1, keepdim=True)
    return y


def normalize_under_no_grad(x: torch.Tensor) -> torch.Tensor:
    y = x.exp()
    with torch.no_grad():
        y /= y.sum(dim=-1, keepdim=True)
    return y


def clamp_no_grad(w: torch.Tensor, lo: float, hi: float) -> torch.Tensor:
    with torch.no_grad():
        w.clamp_(lo, hi)
    return w


def clamp_detach(w: torch.Tensor, lo: float, hi: float) -> torch.Tensor:
    w.detach().clamp_(min=lo, max=hi)
    return w


def clamp_copy(w: torch.Tensor, lo: float, hi: float) -> torch.Tensor:
    with torch.no_grad():
        return w.copy_(torch.minimum(torch.maximum(w, torch.tensor(lo)), torch.tensor(hi)))


def clamp_out(w: torch.Tensor, lo: float, hi: float) -> torch.Tensor:
    with torch.no_grad():
        torch.clamp(w, lo, hi, out=w)
    return w


def clamp_data(w: torch.Tensor, lo: float, hi: float) -> torch.Tensor:
    w.data.clamp_(lo, hi)
    return w


def clamp_no_grad_no_return(w: torch.Tensor, lo: float, hi: float) -> None:
    with torch.no_grad():
        w.clamp_(lo, hi)


def clamp_returns_copy(w: torch.Tensor, lo: float, hi: float) -> torch.Tensor:
    with torch.no_grad():
        w.clamp_(lo, hi)
    return w.detach().clone().requires_grad_()


def clamp_rebind(w: torch.Tensor, lo: float, hi: float) -> torch.Tensor:
    w = w.clamp(lo, hi)
    return w


def clamp_recorded(w: torch.Tensor, lo: float, hi: float) -> torch.Tensor:
    return w.clamp_(lo, hi)


RIGHT_ANSWERS: dict[str, list[dict[str, Any]]] = {
    "03a.1": [{"raises": RAISES}, {"raises": {k: RAISES[k] for k in sorted(RAISES, reverse=True)}},
              {"raises": {k: torch.tensor(v) for k, v in RAISES.items()}},
              {"raises": dict(zip(RAISES, [True, False, True, False, False, True, True]))}],
    "03a.2": [{"culprit": CULPRIT}, {"culprit": {"tensor": "c", "node": "ExpBackward0"}},
              {"culprit": dict(node="ExpBackward0", tensor="c")}, {"culprit": dict([("node", "ExpBackward0"), ("tensor", "c")])}],
    "03a.3": [{"normalize_rows": normalize_out_of_place}, {"normalize_rows": lambda x: torch.softmax(x, dim=-1)},
              {"normalize_rows": lambda x: x.exp() / x.exp().sum(-1, keepdim=True)},
              {"normalize_rows": lambda x: torch.exp(x - torch.logsumexp(x, dim=-1, keepdim=True))}],
    "03a.4": [{"clamp_weights_": clamp_no_grad}, {"clamp_weights_": clamp_detach},
              {"clamp_weights_": clamp_copy}, {"clamp_weights_": clamp_out}],
}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("exercise_id", sorted(RIGHT_ANSWERS))
def test_right_answers_pass(exercise_id: str, seed: int) -> None:
    assert_all_pass(exercise_id, seed, RIGHT_ANSWERS[exercise_id])


@pytest.mark.parametrize("key", sorted(RAISES))
def test_each_wrong_prediction_gets_its_own_hint(key: str) -> None:
    from helpers.checks.lesson03a_inplace import RAISES_HINTS

    result = verdict("03a.1", raises={**RAISES, key: not RAISES[key]})
    assert result.status == "failed" and "1 of 7 wrong" in result.message
    assert RAISES_HINTS[key] in result.hint


def test_all_true_fails() -> None:
    assert_fails("03a.1", ".data changes values", raises={k: True for k in RAISES})


@pytest.mark.parametrize("culprit, hint", [
    ({"node": "MulBackward0", "tensor": "c"}, "not the last operation"),
    ({"node": "ExpBackward0", "tensor": "b"}, "exp saves its output"),
])
def test_culprit_mistakes_get_their_hint(culprit: dict, hint: str) -> None:
    assert_fails("03a.2", hint, culprit=culprit)


@pytest.mark.parametrize("wrong, hint", [
    (normalize_inplace, "y = y / ..."),
    (normalize_under_no_grad, "y = y / ..."),
    (normalize_through_data, "through .data"),
    (lambda x: torch.softmax(x, dim=-1).detach(), "no .detach()"),
    (lambda x: x.exp() / x.exp().sum(), "expected"),
    (lambda x: x.exp(), "sum to 1"),
])
def test_normalize_mistakes_get_their_hint(wrong, hint: str) -> None:
    result = verdict("03a.3", normalize_rows=wrong)
    assert result.status == "failed" and hint in result.message + result.hint, result.text()


def test_normalize_hard_coded_fails() -> None:
    fixed = torch.softmax(torch.randn(2, 3, generator=torch.Generator().manual_seed(0)), dim=-1)
    assert verdict("03a.3", normalize_rows=lambda x: fixed.clone().requires_grad_()).status == "failed"


@pytest.mark.parametrize("wrong, hint", [
    (clamp_data, "through .data"),
    (clamp_rebind, "only moves a local name"),
    (clamp_recorded, "torch.no_grad()"),
    (lambda w, lo, hi: w, "only moves a local name"),
    (clamp_no_grad_no_return, "return"),
    (clamp_returns_copy, "Return w itself"),
])
def test_clamp_mistakes_get_their_hint(wrong, hint: str) -> None:
    assert_fails("03a.4", hint, clamp_weights_=wrong)


def test_clamp_hard_coded_fails() -> None:
    def constant(w: torch.Tensor, lo: float, hi: float) -> torch.Tensor:
        with torch.no_grad():
            return w.fill_(0.1)

    assert verdict("03a.4", clamp_weights_=constant).status == "failed"


def test_the_anomaly_node_is_exp() -> None:
    from helpers.checks.lesson03a_inplace import _anomaly_node

    assert _anomaly_node() == "ExpBackward0"
