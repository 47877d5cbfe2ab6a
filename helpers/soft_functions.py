"""Smooth stand-ins for discrete steps (lessons 08 and 09): soft floors with a sharpness knob, Gumbel noise.

Both soft floors tend to `torch.floor` as the sharpness grows and to `x - 0.5` (the straight line
through the middle of the staircase) as it shrinks. Their derivatives are never written by hand:
`autograd_derivative` asks autograd.
"""
from __future__ import annotations

import math
from typing import Callable

import torch

SoftFloor = Callable[[torch.Tensor, float], torch.Tensor]


def _require_sharpness(sharpness: float) -> float:
    sharpness = float(sharpness)
    if not sharpness > 0 or math.isinf(sharpness):
        raise ValueError(f"sharpness must be a positive finite number, got {sharpness}")
    return sharpness


def soft_floor_sigmoid(x: torch.Tensor, sharpness: float) -> torch.Tensor:
    """Floor with each jump replaced by a sigmoid, rescaled to climb exactly from n - 1 to n."""
    k = _require_sharpness(sharpness)
    riser = torch.round(x)  # the nearest jump of floor; a constant for autograd (its gradient is 0)
    d = x - riser  # in [-0.5, 0.5]: the gradient flows through here
    low, high = torch.sigmoid(torch.tensor(-2 * k, dtype=x.dtype)), torch.sigmoid(torch.tensor(2 * k, dtype=x.dtype))
    # rescaling makes the pieces meet exactly at half-integers, so the curve is continuous for any sharpness
    return riser - 1 + (torch.sigmoid(4 * k * d) - low) / (high - low)


def soft_floor_sine(x: torch.Tensor, sharpness: float) -> torch.Tensor:
    """Floor as x - 1/2 minus a smoothed sawtooth built from sin and cos (its Fourier series, damped)."""
    k = _require_sharpness(sharpness)
    r = k / (k + 2)  # damping in [0, 1): the slope at each integer is 1 + sharpness
    t = 2 * math.pi * x
    # atan2(r sin t, 1 - r cos t) = sum_j r^j sin(j t) / j, which tends to the sawtooth (pi - t)/2 as r -> 1
    return x - 0.5 + torch.atan2(r * torch.sin(t), 1 - r * torch.cos(t)) / math.pi


APPROXIMATIONS: dict[str, SoftFloor] = {"sigmoid": soft_floor_sigmoid, "sine": soft_floor_sine}


def soft_floor(x: torch.Tensor, sharpness: float = 4.0, approximation: str = "sigmoid") -> torch.Tensor:
    """The soft floor named `approximation` ("sigmoid" or "sine") at the given sharpness."""
    if approximation not in APPROXIMATIONS:
        raise ValueError(f"unknown approximation {approximation!r}; choose one of {sorted(APPROXIMATIONS)}")
    return APPROXIMATIONS[approximation](x, sharpness)


def ste_floor(x: torch.Tensor) -> torch.Tensor:
    """Straight-through floor: floor forward, identity backward (lesson 07)."""
    return x + (torch.floor(x) - x).detach()


def autograd_derivative(fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """d fn(x) / dx at every element of x, by autograd, for an elementwise `fn`."""
    x = x.detach().clone().requires_grad_(True)  # a fresh leaf: the caller's tensor stays untouched
    y = fn(x)
    if not y.requires_grad:  # e.g. a comparison: no graph, so the derivative is zero
        return torch.zeros_like(x)
    (grad,) = torch.autograd.grad(y.sum(), x)  # summing is fine: element i only depends on x[i]
    return grad


def sample_gumbel(shape: tuple[int, ...], generator: torch.Generator | None = None,
                  dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Standard Gumbel noise -log(-log(u)), u uniform in (0, 1), from the given generator."""
    tiny = torch.finfo(dtype).tiny
    u = torch.rand(shape, generator=generator, dtype=dtype).clamp_min(tiny)  # rand can return exactly 0
    return -torch.log(-torch.log(u))


def seeded_gumbel_softmax(logits: torch.Tensor, tau: float, hard: bool = False, seed: int = 0) -> torch.Tensor:
    """F.gumbel_softmax with its noise drawn from `seed`, leaving the global random stream as it was."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return torch.nn.functional.gumbel_softmax(logits, tau=tau, hard=hard)
