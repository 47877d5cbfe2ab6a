"""The soft floors really approach floor, stay continuous, and Gumbel noise has the right law."""
from __future__ import annotations

import math

import pytest
import torch

from helpers.soft_functions import (APPROXIMATIONS, autograd_derivative, sample_gumbel, seeded_gumbel_softmax,
                                    soft_floor, ste_floor)

X = torch.linspace(-4, 4, 40001, dtype=torch.float64)
AWAY = (X - X.round()).abs() >= 0.1  # at least 0.1 from the nearest integer (floor's jump)


@pytest.mark.parametrize("name", sorted(APPROXIMATIONS))
def test_error_away_from_integers_shrinks_as_sharpness_grows(name: str) -> None:
    errors = [float((soft_floor(X, k, name) - torch.floor(X))[AWAY].abs().max()) for k in (2, 8, 32, 128, 1024)]
    assert all(later < earlier for earlier, later in zip(errors, errors[1:])), errors
    assert errors[-1] < 1e-3


def test_sigmoid_converges_exponentially_sine_like_one_over_sharpness() -> None:
    def err(name: str, k: float) -> float:
        return float((soft_floor(X, k, name) - torch.floor(X))[AWAY].abs().max())

    assert err("sigmoid", 32) < 1e-5 < err("sine", 32)
    assert err("sine", 64) == pytest.approx(err("sine", 32) / 2, rel=0.05)


@pytest.mark.parametrize("name", sorted(APPROXIMATIONS))
def test_low_sharpness_tends_to_the_line_x_minus_half(name: str) -> None:
    assert torch.allclose(soft_floor(X, 1e-3, name), X - 0.5, atol=2e-3)


@pytest.mark.parametrize("name", sorted(APPROXIMATIONS))
@pytest.mark.parametrize("k", [0.3, 2.0, 10.0])
def test_continuous_and_increasing(name: str, k: float) -> None:
    n = torch.arange(-3, 4, dtype=torch.float64)
    for point in (n, n + 0.5):  # the sigmoid one is stitched at half-integers
        assert (soft_floor(point + 1e-9, k, name) - soft_floor(point - 1e-9, k, name)).abs().max() < 1e-6
    assert (soft_floor(X, k, name).diff() > 0).all()


@pytest.mark.parametrize("name", sorted(APPROXIMATIONS))
def test_slope_at_the_jumps_is_about_the_sharpness(name: str) -> None:
    slope = autograd_derivative(lambda t: soft_floor(t, 20.0, name), torch.tensor([0.0, 1.0, -2.0], dtype=torch.float64))
    expected = 20 / math.tanh(20) if name == "sigmoid" else 21.0
    assert torch.allclose(slope, torch.full_like(slope, expected))


def test_float32_works_and_bad_arguments_raise() -> None:
    x = torch.tensor([0.25, 1.75, -0.5])
    assert soft_floor(x, 50.0).dtype == torch.float32
    assert torch.allclose(soft_floor(x, 50.0), torch.tensor([0.0, 1.0, -1.0]), atol=1e-4)
    with pytest.raises(ValueError, match="sharpness"):
        soft_floor(x, 0.0)
    with pytest.raises(ValueError, match="approximation"):
        soft_floor(x, 1.0, "cubic")


def test_autograd_derivative_of_floor_ste_and_a_known_function() -> None:
    x = torch.linspace(-2, 2, 9)
    assert torch.equal(autograd_derivative(torch.floor, x), torch.zeros(9))
    assert torch.equal(autograd_derivative(ste_floor, x), torch.ones(9))
    assert torch.allclose(autograd_derivative(torch.sin, x), torch.cos(x))
    assert not x.requires_grad and x.grad is None  # the caller's tensor is untouched
    assert torch.equal(autograd_derivative(lambda t: (t > 0).float(), x), torch.zeros(9))


def test_sample_gumbel_moments_and_reproducibility() -> None:
    g = sample_gumbel((200_000,), torch.Generator().manual_seed(1))
    assert torch.isfinite(g).all()
    assert g.mean().item() == pytest.approx(0.5772, abs=0.01)  # Euler-Mascheroni constant
    assert g.var().item() == pytest.approx(math.pi**2 / 6, abs=0.03)
    again = sample_gumbel((200_000,), torch.Generator().manual_seed(1))
    assert torch.equal(g, again)


def test_seeded_gumbel_softmax_repeats_and_leaves_the_global_stream_alone() -> None:
    logits = torch.tensor([1.0, 0.0, -1.0])
    torch.manual_seed(5)
    expected_next = torch.rand(2)
    torch.manual_seed(5)
    a = seeded_gumbel_softmax(logits, tau=0.5, seed=3)
    b = seeded_gumbel_softmax(logits, tau=0.5, seed=3)
    assert torch.equal(a, b) and torch.equal(torch.rand(2), expected_next)
    hard = seeded_gumbel_softmax(logits, tau=0.5, hard=True, seed=3)
    assert torch.equal(hard, torch.nn.functional.one_hot(a.argmax(), 3).float())
