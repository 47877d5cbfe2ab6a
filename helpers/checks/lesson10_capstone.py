"""Lesson 10 (capstone): fake quantization of weights and activations, and a soft bin index."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

import torch

from helpers.checking import WrongAnswer, call_learner, exercise
from helpers.checks.lesson07_ste import ZERO_GRAD
from helpers.guards import first_bad, grad_of, no_graph_hint, output_of, value_at
from helpers.quantization import train_qat

SCALE_HINT = "scale = max|w| / (2**(bits-1) - 1): the largest |w| lands on the largest integer code, 2**(bits-1) - 1."

SCALE_GRAD_HINT = "only the largest |w| gets a different gradient: the scale depends on w through max|w|; detach it so it is a constant."


def _only_max_differs(g: torch.Tensor, upstream: torch.Tensor, w: torch.Tensor) -> bool:
    off = ~torch.isclose(g, upstream, atol=1e-5)
    return bool(off.flatten()[w.abs().flatten().argmax()]) and int(off.sum()) == 1


@exercise("10.1", "fake_quantize(w, bits) with a straight-through gradient")
def check_fake_quantize(fake_quantize: Any, gen: torch.Generator) -> str:
    for shape, bits in [((6,), 4), ((4, 5), 8), ((3, 2, 4), 2), ((50,), 3), ((8, 8), 4)]:
        magnitude = 10 ** (torch.rand((), generator=gen).item() * 3 - 2)  # weights from 0.01 to 10
        w = torch.randn(shape, generator=gen) * magnitude
        win = w.clone().requires_grad_(True)
        y = output_of(fake_quantize, win, bits, name="fake_quantize")
        scale = (w.abs().max() / (2 ** (bits - 1) - 1)).item()
        where = f"with bits = {bits} (scale = {scale:.4g})"
        codes = y.detach().double() / scale
        i = first_bad(codes, torch.round(codes), atol=1e-3)
        if i is not None:
            hint = SCALE_HINT
            if first_bad(y, torch.round(w / scale)) is None:
                hint = "these are the integer codes: dequantize, i.e. multiply them back by the scale."
            raise WrongAnswer(f"{where}: at w = {value_at(w, i)} your value {value_at(y, i)} is not a multiple of the scale.", hint)
        far = ((y.detach() - w).abs() > scale * (0.5 + 1e-3)).flatten()  # on the grid and this close = nearest point
        if far.any():
            i = int(far.nonzero()[0])
            raise WrongAnswer(f"{where}: at w = {value_at(w, i)} your value is {value_at(y, i)}, but the nearest grid "
                              f"point is {value_at(scale * torch.round(w / scale), i)}.", "Round to the nearest integer code. " + SCALE_HINT)
        upstream = torch.randn(shape, generator=gen)
        g = grad_of(output_of(fake_quantize, win, bits, name="fake_quantize"), win, upstream, "fake_quantize")
        i = first_bad(g, upstream)
        if i is not None:
            raise WrongAnswer(f"{where}: at w = {value_at(w, i)} your gradient is {value_at(g, i)}, expected {value_at(upstream, i)} "
                              "(every weight is inside the range, so the gradient passes straight through).",
                              ZERO_GRAD if not g.any() else SCALE_GRAD_HINT if _only_max_differs(g, upstream, w)
                              else "Use the STE for the rounding only; it should pass the upstream gradient through unchanged.")
    return "on the grid, nearest grid point, gradient straight through: ready for quantization-aware training."


def _activation_gradient_ok(h: torch.Tensor, g: torch.Tensor, upstream: torch.Tensor, scale: float, max_value: float) -> int | None:
    """First index where the gradient is wrong; within half a step of an edge either convention passes."""
    inside, outside = (h > 0) & (h < max_value), (h < -scale / 2) | (h > max_value + scale / 2)
    free = ~(inside | outside)  # clip-then-round and round-then-clip (PyTorch's fake_quantize) differ only here
    ok_free = torch.isclose(g, upstream, atol=1e-5) | torch.isclose(g, torch.zeros_like(g), atol=1e-5)
    expected = torch.where(inside, upstream, torch.zeros_like(upstream))
    bad = torch.where(free, ~ok_free, ~torch.isclose(g, expected, atol=1e-5))
    return int(bad.nonzero()[0]) if bad.any() else None


@lru_cache(maxsize=1)
def _stalled_loss() -> float:
    """The activation-QAT loop with plain rounding: the number a working answer must beat."""
    return train_qat(lambda w, step: w, None, act_q=lambda h: (2 / 15) * torch.round(h.clamp(0, 2) / (2 / 15))).final_loss


@exercise("10.2", "quantize_activation: make a stalled QAT loop learn")
def check_quantize_activation(quantize_activation: Any, gen: torch.Generator) -> str:
    for bits, max_value in [(4, 2.0), (2, 1.0), (8, round(1 + 5 * torch.rand((), generator=gen).item(), 3))]:
        scale = max_value / (2**bits - 1)
        probes = torch.tensor([-1.0, -0.3 * scale, 0.4 * scale, max_value - 0.3 * scale, max_value + 0.3 * scale, max_value + 2])
        h = torch.cat([probes, torch.randn(20, generator=gen) * max_value])
        hin = h.clone().requires_grad_(True)
        y = output_of(quantize_activation, hin, bits, max_value, name="quantize_activation")
        want = scale * torch.round(h.clamp(0, max_value) / scale)
        i = first_bad(y, want, atol=1e-4 * max_value)
        if i is not None:
            hint = "Clamp into [0, max_value], round to a multiple of scale = max_value / (2**bits - 1), and keep the result in float."
            if h[i] < 0 or h[i] > max_value:
                hint = "Values outside [0, max_value] must be clipped to the nearest end of the range."
            raise WrongAnswer(f"with bits = {bits}, max_value = {max_value}: at h = {value_at(h, i)} your value is "
                              f"{value_at(y, i)}, expected {value_at(want, i)}.", hint)
        upstream = torch.randn(h.shape, generator=gen)
        g = grad_of(y, hin, upstream, "quantize_activation")
        i = _activation_gradient_ok(h, g, upstream, scale, max_value)
        if i is not None:
            hint = "A clipped STE: the gradient passes through inside [0, max_value] and is 0 outside, where the output is flat."
            raise WrongAnswer(f"with bits = {bits}, max_value = {max_value}: at h = {value_at(h, i)} (upstream gradient "
                              f"{value_at(upstream, i)}) your gradient is {value_at(g, i)}.", ZERO_GRAD if not g.any() else hint)
    run = train_qat(lambda w, step: w, None, act_q=lambda a: call_learner(quantize_activation, a, 4, 2.0, name="quantize_activation"))
    if not run.final_loss < 0.5 * _stalled_loss():
        raise WrongAnswer(f"the training loop still stalls with your quantizer: final loss {run.final_loss:.4f}.",
                          "Every layer below a quantized activation needs the gradient to pass through it.")
    # three decimals: the last digit of a 4-decimal loss differs between kernels (nbval's and notebook_run's)
    return (f"with your 4-bit activations the loop learns: loss {run.losses[0]:.3f} -> {run.final_loss:.3f} in 300 steps "
            f"(plain rounding stalls at {_stalled_loss():.3f}).")


def reference_bucketize(x: torch.Tensor, edges: torch.Tensor, sharpness: float) -> torch.Tensor:
    """The soft bin index: a sigmoid step per edge, summed (tends to torch.bucketize)."""
    return torch.sigmoid(sharpness * (x.unsqueeze(-1) - edges)).sum(dim=-1)


@exercise("10.3", "soft_bucketize: a bin index with gradients")
def check_soft_bucketize(soft_bucketize: Any, gen: torch.Generator) -> str:
    for sharpness, shape in [(3.0, (12,)), (20.0, (3, 5)), (300.0, (16,))]:
        edges = torch.sort(torch.rand(5, generator=gen) * 6 - 3).values
        x = torch.rand(shape, generator=gen) * 7 - 3.5
        xin = x.clone().requires_grad_(True)
        y = output_of(soft_bucketize, xin, edges, sharpness, name="soft_bucketize")
        if not y.requires_grad:
            raise WrongAnswer("your soft bin index does not require grad, so no gradient can reach x.",
                              no_graph_hint("torch.bucketize and comparisons give integers or constants that cut the graph: add up sigmoids instead."))
        want = reference_bucketize(x, edges, sharpness)
        where = f"with sharpness {sharpness:g} and edges {[round(e, 2) for e in edges.tolist()]}"
        i = first_bad(y, want, atol=1e-4)
        if i is not None:
            hint = "the soft index of x is the sum over the edges e of sigmoid(sharpness * (x - e)): each edge below x adds about 1."
            if torch.isnan(y.detach()).any():
                hint = ("NaN: at large sharpness exp overflows to inf, and inf / inf is NaN. torch.sigmoid computes the same "
                        "curve without overflowing.")
            elif (y.detach() < -1e-6).any():
                hint = "a negative index: the sigmoid should be near 1 when x is above the edge. " + hint
            raise WrongAnswer(f"{where}: at x = {value_at(x, i)} your soft index is {value_at(y, i)}, expected {value_at(want, i)}.", hint)
        upstream = torch.randn(shape, generator=gen)
        g = grad_of(y, xin, upstream, "soft_bucketize")
        expected = torch.autograd.grad((reference_bucketize(xin, edges, sharpness) * upstream).sum(), xin)[0]
        i = first_bad(g, expected, atol=1e-4)
        if i is not None:
            hint = "Keep every step differentiable: no detach, no rounding, no comparisons on the path from x."
            if torch.isnan(g).any():
                hint = ("NaN in the gradient: at large sharpness an exp on the path overflows to inf, and its backward "
                        "multiplies inf by 0. torch.sigmoid (or torch.special.expit) has a stable backward.")
            raise WrongAnswer(f"{where}: at x = {value_at(x, i)} your gradient is {value_at(g, i)}, expected {value_at(expected, i)}.", hint)
    return "a smooth bin index that becomes torch.bucketize as the sharpness grows, with honest gradients."
