"""Fake quantization and a tiny quantization-aware training loop (lesson 10; soft_round also in 07.3).

The lessons write these functions out in their own cells; this module holds the reference
versions the checks compare against, plus the data, model and loop the capstone trains.
"""
from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator

import torch
import torch.nn.functional as F

Quantizer = Callable[[torch.Tensor, int], torch.Tensor]  # (tensor, training step) -> quantized tensor


def ste_round(x: torch.Tensor) -> torch.Tensor:
    """Round in the forward pass, identity in the backward pass."""
    return x + (torch.round(x) - x).detach()


def soft_round(x: torch.Tensor, sharpness: float) -> torch.Tensor:
    """A smooth round: x as sharpness -> 0, torch.round(x) as sharpness -> infinity."""
    middle = torch.floor(x) + 0.5  # midpoint of the unit interval holding x (floor adds no gradient)
    # tanh(sharpness * 0.5) rescales so the curve meets the integers exactly at both ends of each piece
    return middle + 0.5 * torch.tanh(sharpness * (x - middle)) / math.tanh(0.5 * sharpness)


def weight_scale(w: torch.Tensor, bits: int) -> torch.Tensor:
    """Symmetric per-tensor scale: the largest |w| lands on the largest integer code."""
    # detached: the scale is a measurement of w (an observer), not a path for the gradient
    return w.detach().abs().max().clamp_min(1e-12) / (2 ** (bits - 1) - 1)


def fake_quantize(w: torch.Tensor, bits: int, rounding: Callable[[torch.Tensor], torch.Tensor] = ste_round) -> torch.Tensor:
    """Scale, round, clamp to the signed `bits`-bit range, dequantize (float in, float out)."""
    scale = weight_scale(w, bits)
    return scale * rounding(w / scale).clamp(-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)


def make_data(n: int = 256, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """A smooth 2-D regression problem, the same for every run with the same seed."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 2, generator=gen) * 4 - 2
    y = torch.sin(1.5 * x[:, :1]) * torch.cos(x[:, 1:])
    return x, y


def init_mlp(hidden: int = 32, seed: int = 0) -> list[torch.Tensor]:
    """Weights and biases of a 2 -> hidden -> hidden -> 1 MLP, as leaf tensors."""
    gen = torch.Generator().manual_seed(seed)
    params = []
    for fan_in, fan_out in [(2, hidden), (hidden, hidden), (hidden, 1)]:
        params.append((torch.randn(fan_out, fan_in, generator=gen) / math.sqrt(fan_in)).requires_grad_())
        params.append(torch.zeros(fan_out).requires_grad_())
    return params


def mlp(params: list[torch.Tensor], x: torch.Tensor, weight_q: Callable[[torch.Tensor], torch.Tensor],
        act_q: Callable[[torch.Tensor], torch.Tensor] | None = None) -> torch.Tensor:
    """Forward pass with quantized weights (biases stay float) and optionally quantized activations."""
    h = x
    for i in range(0, len(params), 2):
        h = F.linear(h, weight_q(params[i]), params[i + 1])
        if i < len(params) - 2:
            h = torch.relu(h)
            h = act_q(h) if act_q is not None else h
    return h


@dataclass
class Run:
    """One training run: the loss at every step, the loss with hard-rounded weights at the end."""

    losses: list[float]
    final_loss: float
    weight_change: float  # largest |w_end - w_start| over all weights: 0.0 means they never moved


class Adam:
    """Plain Adam: torch.optim's first use imports torch._dynamo, seconds a short lesson cannot spare."""

    def __init__(self, params: list[torch.Tensor], lr: float, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> None:
        self.params, self.lr, self.betas, self.eps, self.t = params, lr, betas, eps, 0
        self.m = [torch.zeros_like(p) for p in params]
        self.v = [torch.zeros_like(p) for p in params]

    @torch.no_grad()
    def step(self, grads: tuple[torch.Tensor, ...]) -> None:
        """Update every parameter in place from its gradient."""
        self.t += 1
        b1, b2 = self.betas
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            m.mul_(b1).add_(g, alpha=1 - b1)
            v.mul_(b2).addcmul_(g, g, value=1 - b2)
            p -= self.lr * (m / (1 - b1**self.t)) / ((v / (1 - b2**self.t)).sqrt() + self.eps)


@contextmanager
def single_thread() -> Iterator[None]:
    """Run torch on one thread inside the block: tiny tensors train far faster without thread hand-offs."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def train_qat(weight_q: Quantizer, bits: int | None, steps: int = 300, lr: float = 0.01, seed: int = 0,
              act_q: Callable[[torch.Tensor], torch.Tensor] | None = None) -> Run:
    """Full-batch Adam on make_data(); the final loss uses hard `bits`-bit weights (float if bits is None)."""
    with single_thread():
        return _train(weight_q, bits, steps, lr, seed, act_q)


def _train(weight_q: Quantizer, bits: int | None, steps: int, lr: float, seed: int,
           act_q: Callable[[torch.Tensor], torch.Tensor] | None) -> Run:
    x, y = make_data(seed=seed)
    params = init_mlp(seed=seed)
    start = [p.detach().clone() for p in params[::2]]
    adam = Adam(params, lr)
    losses = []
    for step in range(steps):
        loss = F.mse_loss(mlp(params, x, lambda w: weight_q(w, step), act_q), y)
        grads = torch.autograd.grad(loss, params)
        adam.step(grads)
        losses.append(loss.item())
    final_q = (lambda w: w) if bits is None else (lambda w: fake_quantize(w, bits, torch.round))
    with torch.no_grad():
        hard = F.mse_loss(mlp(params, x, final_q, act_q), y).item()
    change = max((p.detach() - p0).abs().max().item() for p, p0 in zip(params[::2], start))
    return Run(losses, hard, change)
