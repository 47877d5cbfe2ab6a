"""Lesson 02's checks: right answers pass for several seeds; typical wrong answers get their hint."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from check_helpers import verdict as check

SEEDS = [0, 1, 7, 123]
PREDICTIONS = {"x * 2": False, "w * x": True, "(w * x).detach()": False, "w.detach() * w": True,
               "torch.zeros_like(w)": False, "w.clone()": True, "w * x inside torch.no_grad()": False,
               "w + 1 inside torch.inference_mode()": False}


def snapshot(t: torch.Tensor) -> np.ndarray:
    return t.detach().clone().numpy()


def predict(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return model(x)


def sgd_step(params: list[torch.Tensor], lr: float) -> None:
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p -= lr * p.grad



@pytest.mark.parametrize("seed", SEEDS)
def test_right_answers_pass_for_any_seed(seed: int) -> None:
    assert check("02.1", seed, requires_grad_of=PREDICTIONS)
    assert check("02.2", seed, snapshot=snapshot)
    assert check("02.3", seed, predict=predict)
    assert check("02.4", seed, sgd_step=sgd_step)


def test_other_right_answers_pass() -> None:
    assert check("02.2", snapshot=lambda t: t.detach().numpy().copy())
    assert check("02.2", snapshot=lambda t: np.array(t.tolist()))

    def predict_inference(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
        with torch.inference_mode():
            return model(x)

    assert check("02.3", predict=predict_inference)


def test_each_wrong_prediction_gets_its_hint() -> None:
    result = check("02.1", requires_grad_of={**PREDICTIONS, "torch.zeros_like(w)": True, "w.detach() * w": False})
    assert result.status == "failed" and "2 of 8 wrong" in result.message
    assert "copies shape and dtype, not the flag" in result.hint and "one is enough" in result.hint


def test_all_true_predictions_fail() -> None:
    assert check("02.1", requires_grad_of={k: True for k in PREDICTIONS}).status == "failed"


@pytest.mark.parametrize("wrong, hint", [
    (lambda t: t.numpy(), "take .detach() first"),
    (lambda t: t.detach().numpy(), "shares memory"),
    (lambda t: t.tolist(), "np.array"),
    (lambda t: snapshot(t).reshape(-1), "its own shape"),
])
def test_snapshot_mistakes_get_their_hint(wrong, hint: str) -> None:
    result = check("02.2", snapshot=wrong)
    assert result.status == "failed" and hint in result.hint


def _predict_global_off(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    torch.set_grad_enabled(False)
    return model(x)


def _predict_frozen(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    model.requires_grad_(False)
    return model(x)


@pytest.mark.parametrize("wrong, hint", [
    (lambda m, x: m(x), "so nothing is recorded"),
    (lambda m, x: m(x).detach(), "throws the graph away"),
    (_predict_frozen, "Don't freeze the model"),
    (_predict_global_off, "stays off until switched back"),
])
def test_predict_mistakes_get_their_hint(wrong, hint: str) -> None:
    result = check("02.3", predict=wrong)
    assert result.status == "failed" and hint in result.hint
    assert torch.is_grad_enabled(), "the check must switch recording back on"


def test_hard_coded_prediction_fails() -> None:
    assert check("02.3", predict=lambda m, x: torch.zeros(x.shape[0], 2)).status == "failed"


def _no_no_grad(params: list[torch.Tensor], lr: float) -> None:
    for p in params:
        if p.grad is not None:
            p -= lr * p.grad


def _rebind(params: list[torch.Tensor], lr: float) -> None:
    for p in params:
        if p.grad is not None:
            p = p - lr * p.grad


def _no_skip(params: list[torch.Tensor], lr: float) -> None:
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad


def _uphill(params: list[torch.Tensor], lr: float) -> None:
    sgd_step(params, -lr)


@pytest.mark.parametrize("wrong, hint", [
    (_no_no_grad, "with torch.no_grad()"),
    (_rebind, "only rebinds the loop variable"),
    (_no_skip, "skip it"),
    (_uphill, "against the gradient"),
])
def test_sgd_mistakes_get_their_hint(wrong, hint: str) -> None:
    result = check("02.4", sgd_step=wrong)
    assert result.status == "failed" and hint in result.hint


def test_fixed_learning_rate_fails() -> None:
    assert check("02.4", sgd_step=lambda ps, lr: sgd_step(ps, 0.1)).status == "failed"


# right answers, differently written: run under odd kernel states by tests/test_check_states.py
def _predict_inference(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    with torch.inference_mode():
        return model(x)


@torch.no_grad()
def _predict_decorated(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    return model(x)


def _predict_set_grad(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    with torch.set_grad_enabled(False):
        return model(x)


def _sgd_data(params: list[torch.Tensor], lr: float) -> None:
    for p in params:
        if p.grad is not None:
            p.data.sub_(lr * p.grad)


def _sgd_add(params: list[torch.Tensor], lr: float) -> None:
    with torch.no_grad():
        for p in params:
            if p.grad is None:
                continue
            p.add_(p.grad, alpha=-lr)


def _sgd_optim(params: list[torch.Tensor], lr: float) -> None:
    torch.optim.SGD(params, lr=lr).step()


RIGHT_ANSWERS = {
    "02.1": [dict(requires_grad_of=PREDICTIONS), dict(requires_grad_of=dict(sorted(PREDICTIONS.items()))),
             dict(requires_grad_of={k: torch.tensor(v) for k, v in PREDICTIONS.items()}),
             dict(requires_grad_of={k: np.bool_(v) for k, v in PREDICTIONS.items()})],
    "02.2": [dict(snapshot=snapshot), dict(snapshot=lambda t: t.detach().numpy().copy()),
             dict(snapshot=lambda t: np.array(t.tolist())), dict(snapshot=lambda t: t.clone().detach().cpu().numpy())],
    "02.3": [dict(predict=predict), dict(predict=_predict_inference), dict(predict=_predict_decorated),
             dict(predict=_predict_set_grad)],
    "02.4": [dict(sgd_step=sgd_step), dict(sgd_step=_sgd_data), dict(sgd_step=_sgd_add), dict(sgd_step=_sgd_optim)],
}
