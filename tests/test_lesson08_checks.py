"""Lesson 08's checks: right answers pass for many seeds, typical mistakes fail with their hint."""
from __future__ import annotations

import pytest
import torch

from helpers.checking import run_check
from helpers.soft_functions import soft_floor_sigmoid, soft_floor_sine

SEEDS = [0, 1, 2, 3, 17, 123]


def failed(exercise_id: str, seed: int = 0, **answers: object) -> str:
    result = run_check(exercise_id, answers, seed=seed)
    assert result.status == "failed", result.text()
    return result.text()


# 08.1 -----------------------------------------------------------------------------------------------

def sigmoid_sum(x: torch.Tensor, sharpness: float) -> torch.Tensor:
    """Another right answer: a staircase of plain sigmoids, one per integer in a wide range."""
    ints = torch.arange(-12, 13, dtype=x.dtype)
    return torch.sigmoid(sharpness * (x.unsqueeze(-1) - ints)).sum(-1) - 13


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("answer", [soft_floor_sigmoid, soft_floor_sine, sigmoid_sum], ids=lambda f: f.__name__)
def test_08_1_right_answers_pass(answer: object, seed: int) -> None:
    result = run_check("08.1", {"soft_floor": answer}, seed=seed)
    assert result.passed, result.text()


def test_08_1_soft_round_instead_of_floor() -> None:
    assert "follows round(x), not floor(x)" in failed("08.1", soft_floor=lambda x, k: soft_floor_sigmoid(x + 0.5, k))


def test_08_1_hard_floor_has_zero_gradient() -> None:
    assert "all zeros" in failed("08.1", soft_floor=lambda x, k: torch.floor(x) + 0 * x)


def test_08_1_ste_is_not_continuous() -> None:
    assert "jumps at x" in failed("08.1", soft_floor=lambda x, k: x + (torch.floor(x) - x).detach())


def test_08_1_glued_pieces_jump() -> None:
    def glued(x: torch.Tensor, k: float) -> torch.Tensor:  # floor + a sigmoid step that stops halfway
        return torch.floor(x) + torch.sigmoid(k * (x - torch.floor(x) - 1))

    assert "jumps at x" in failed("08.1", soft_floor=glued)


def test_08_1_ignoring_sharpness_and_hard_coded_values() -> None:
    assert "use the sharpness argument" in failed("08.1", soft_floor=lambda x, k: soft_floor_sigmoid(x, 50.0))
    assert "sharpness 50" in failed("08.1", soft_floor=lambda x, k: x - 0.5)
    assert "shape" in failed("08.1", soft_floor=lambda x, k: soft_floor_sigmoid(x, k).sum())
    assert "return" in failed("08.1", soft_floor=lambda x, k: None)


# 08.2 -----------------------------------------------------------------------------------------------

def slopes(fn: object, x: torch.Tensor) -> torch.Tensor:
    leaf = x.detach().clone().requires_grad_(True)
    fn(leaf).sum().backward()
    return leaf.grad


def slopes_autograd_grad(fn: object, x: torch.Tensor) -> torch.Tensor:
    leaf = x.detach().requires_grad_(True)
    return torch.autograd.grad(fn(leaf).sum(), leaf)[0]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("answer", [slopes, slopes_autograd_grad], ids=lambda f: f.__name__)
def test_08_2_right_answers_pass(answer: object, seed: int) -> None:
    result = run_check("08.2", {"slopes": answer}, seed=seed)
    assert result.passed, result.text()


def test_08_2_mean_instead_of_sum() -> None:
    def mean_slopes(fn: object, x: torch.Tensor) -> torch.Tensor:
        leaf = x.detach().clone().requires_grad_(True)
        fn(leaf).mean().backward()
        return leaf.grad

    assert "differentiated the mean" in failed("08.2", slopes=mean_slopes)


def test_08_2_changing_the_callers_tensor() -> None:
    def in_place(fn: object, x: torch.Tensor) -> torch.Tensor:
        x.requires_grad_(True)
        fn(x).sum().backward()
        return x.grad

    assert "Work on a copy" in failed("08.2", slopes=in_place)


def test_08_2_values_and_hard_coded_cosine() -> None:
    assert "values, not its slopes" in failed("08.2", slopes=lambda fn, x: fn(x))
    assert "autograd says" in failed("08.2", slopes=lambda fn, x: torch.cos(x))


# 08.3 -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
def test_08_3_right_answer_passes(seed: int) -> None:
    result = run_check("08.3", {"soft_quantize": lambda x, s, k: s * soft_floor_sigmoid(x / s, k)}, seed=seed)
    assert result.passed, result.text()


def test_08_3_typical_mistakes() -> None:
    assert "divide by the step first" in failed("08.3", soft_quantize=lambda x, s, k: s * soft_floor_sigmoid(x, k))
    assert "multiply back" in failed("08.3", soft_quantize=lambda x, s, k: soft_floor_sigmoid(x / s, k))
    assert "hard quantizer" in failed("08.3", soft_quantize=lambda x, s, k: s * torch.floor(x / s))
    assert "gradient of" in failed("08.3", soft_quantize=lambda x, s, k: (s * soft_floor_sigmoid(x / s, k)).detach() + 0 * x)


# 08.4 -----------------------------------------------------------------------------------------------

def floor_with_soft_gradient(x: torch.Tensor, sharpness: float) -> torch.Tensor:
    soft = soft_floor_sigmoid(x, sharpness)
    return soft + (torch.floor(x) - soft).detach()


@pytest.mark.parametrize("seed", SEEDS)
def test_08_4_right_answer_passes(seed: int) -> None:
    result = run_check("08.4", {"floor_with_soft_gradient": floor_with_soft_gradient}, seed=seed)
    assert result.passed, result.text()


def test_08_4_typical_mistakes() -> None:
    assert "plain STE" in failed("08.4", floor_with_soft_gradient=lambda x, k: x + (torch.floor(x) - x).detach())
    assert "soft floor itself" in failed("08.4", floor_with_soft_gradient=soft_floor_sigmoid)
    assert "all zeros" in failed("08.4", floor_with_soft_gradient=lambda x, k: torch.floor(x) + 0 * x)

    def wrong_sign(x: torch.Tensor, k: float) -> torch.Tensor:
        soft = soft_floor_sigmoid(x, k)
        return torch.floor(x) + soft.detach() - soft

    assert "wrong sign" in failed("08.4", floor_with_soft_gradient=wrong_sign)
    sharp = lambda x, k: floor_with_soft_gradient(x, 2 * k)  # noqa: E731  (ignores the knob as asked)
    assert "expected the soft floor's slope" in failed("08.4", floor_with_soft_gradient=sharp)



# right answers, differently written: run under odd kernel states by tests/test_check_states.py
def _slopes_backward_ones(fn: object, x: torch.Tensor) -> torch.Tensor:
    leaf = x.clone().detach().requires_grad_()
    y = fn(leaf)
    y.backward(torch.ones_like(y))
    return leaf.grad


def _slopes_jacobian_diag(fn: object, x: torch.Tensor) -> torch.Tensor:
    from torch.func import grad, vmap
    return vmap(grad(lambda t: fn(t).sum()))(x.detach().reshape(-1)).reshape(x.shape)


def _floor_soft_grad_sine(x: torch.Tensor, sharpness: float) -> torch.Tensor:
    soft = soft_floor_sigmoid(x, sharpness)
    return torch.floor(x).detach() + soft - soft.detach()


RIGHT_ANSWERS = {
    "08.1": [dict(soft_floor=soft_floor_sigmoid), dict(soft_floor=soft_floor_sine), dict(soft_floor=sigmoid_sum),
             dict(soft_floor=lambda x, k: soft_floor_sigmoid(x.double(), k).to(x.dtype))],
    "08.2": [dict(slopes=slopes), dict(slopes=slopes_autograd_grad), dict(slopes=_slopes_backward_ones),
             dict(slopes=_slopes_jacobian_diag)],
    "08.3": [dict(soft_quantize=lambda x, s, k: s * soft_floor_sigmoid(x / s, k)),
             dict(soft_quantize=lambda x, s, k: soft_floor_sigmoid(x * (1 / s), k) * s),
             dict(soft_quantize=lambda x, s, k: torch.mul(soft_floor_sigmoid(torch.div(x, s), k), s)),
             dict(soft_quantize=lambda x, s, k: s * soft_floor_sigmoid(x.double() / s, k).to(x.dtype))],
    "08.4": [dict(floor_with_soft_gradient=floor_with_soft_gradient), dict(floor_with_soft_gradient=_floor_soft_grad_sine),
             dict(floor_with_soft_gradient=lambda x, k: (torch.floor(x) - soft_floor_sigmoid(x, k)).detach() + soft_floor_sigmoid(x, k)),
             dict(floor_with_soft_gradient=lambda x, k: soft_floor_sigmoid(x, k) - soft_floor_sigmoid(x, k).detach() + x.detach().floor())],
}
