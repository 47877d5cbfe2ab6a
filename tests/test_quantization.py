"""helpers.quantization: the rounding functions, fake quantization, the hand-written Adam and the QAT loop."""
from __future__ import annotations

import pytest
import torch

from helpers.quantization import (Adam, fake_quantize, init_mlp, make_data, mlp, single_thread,
                                  soft_round, ste_round, train_qat, weight_scale)


def test_ste_round_rounds_forward_and_passes_gradient() -> None:
    x = torch.tensor([-2.5, -1.5, -0.7, 0.5, 1.4, 2.5], requires_grad=True)
    y = ste_round(x)
    assert torch.equal(y, torch.round(x.detach()))
    y.sum().backward()
    assert torch.equal(x.grad, torch.ones(6))


@pytest.mark.parametrize("x", [-2.3, -0.6, 0.2, 0.8, 1.45, 3.0])
def test_soft_round_tends_to_identity_and_to_round(x: float) -> None:
    t = torch.tensor([x], dtype=torch.float64)
    assert torch.allclose(soft_round(t, 1e-3), t, atol=1e-4)
    if abs(x % 1 - 0.5) > 0.05:
        assert torch.allclose(soft_round(t, 500.0), torch.round(t), atol=1e-6)


def test_soft_round_is_continuous_at_integers_and_passes_gradcheck() -> None:
    n = torch.arange(-3.0, 4.0, dtype=torch.float64)
    assert torch.allclose(soft_round(n - 1e-9, 4.0), soft_round(n + 1e-9, 4.0), atol=1e-6)
    x = torch.tensor([0.2, 1.3, -0.8, 2.7], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: soft_round(t, 4.0), (x,))


@pytest.mark.parametrize("bits", [2, 4, 8])
def test_fake_quantize_matches_pytorch_values_and_gradient(bits: int) -> None:
    w = torch.randn(5, 7, generator=torch.Generator().manual_seed(bits), requires_grad=True)
    scale = weight_scale(w, bits)
    ours = fake_quantize(w, bits)
    theirs = torch.fake_quantize_per_tensor_affine(w, scale.item(), 0, -(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
    assert torch.allclose(ours, theirs)
    codes = ours.detach() / scale
    assert torch.allclose(codes, torch.round(codes), atol=1e-4) and codes.abs().max() <= 2 ** (bits - 1) - 1 + 1e-4
    assert torch.equal(torch.autograd.grad(ours.sum(), w)[0], torch.ones_like(w))
    assert not torch.autograd.grad(fake_quantize(w, bits, torch.round).sum(), w)[0].any()


def test_adam_matches_torch_optim() -> None:
    a = torch.tensor([1.0, -2.0], requires_grad=True)
    b = a.detach().clone().requires_grad_(True)
    ours, theirs = Adam([a], lr=0.1), torch.optim.Adam([b], lr=0.1)
    for _ in range(5):
        ours.step(torch.autograd.grad((a**2).sum(), [a]))
        theirs.zero_grad()
        (b**2).sum().backward()
        theirs.step()
    assert torch.allclose(a, b, atol=1e-6)


def test_single_thread_restores_the_thread_count() -> None:
    before = torch.get_num_threads()
    with single_thread():
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


def test_data_and_model_are_deterministic_and_shaped() -> None:
    x, y = make_data()
    assert x.shape == (256, 2) and y.shape == (256, 1) and torch.equal(x, make_data()[0])
    params = init_mlp()
    assert [tuple(p.shape) for p in params] == [(32, 2), (32,), (32, 32), (32,), (1, 32), (1,)]
    assert all(p.is_leaf and p.requires_grad for p in params)
    assert mlp(params, x, lambda w: w).shape == (256, 1)


def test_without_ste_the_weights_never_move() -> None:
    run = train_qat(lambda w, step: fake_quantize(w, 4, torch.round), 4, steps=30)
    assert run.weight_change == 0.0 and len(run.losses) == 30


def test_with_ste_the_loop_learns_and_repeats_exactly() -> None:
    runs = [train_qat(lambda w, step: fake_quantize(w, 8), 8, steps=150) for _ in range(2)]
    assert runs[0].final_loss < 0.1 * runs[0].losses[0]
    assert runs[0].losses == runs[1].losses


def test_float_evaluation_when_bits_is_none() -> None:
    run = train_qat(lambda w, step: w, None, steps=20)
    assert run.final_loss < run.losses[0]
