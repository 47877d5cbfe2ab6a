"""Lesson 07: straight-through estimators (plain, clipped, stochastic) and a soft round."""
from __future__ import annotations

from typing import Any

import torch

from helpers.checking import NotAnswered, WrongAnswer, call_learner, exercise, is_unanswered
from helpers.guards import first_bad, grad_of, output_of, require_tensor, value_at

ZERO_GRAD = "your gradient is all zeros: did the rounding stay on the gradient path? Detach the difference (rounded x) - x, not x."


@exercise("07.1", "ste_round: round forward, identity backward")
def check_ste_round(ste_round: Any, gen: torch.Generator) -> str:
    halves = torch.tensor([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, -0.7, 0.2, 1.4, 3.6])
    cases = [halves, torch.rand(3, 4, generator=gen) * 10 - 5,
             (torch.randint(-6, 6, (7,), generator=gen) + 0.5).double(), torch.randn(5, generator=gen, dtype=torch.float64) * 3]
    for x in cases:
        xin = x.clone().requires_grad_(True)
        y = output_of(ste_round, xin, name="ste_round")
        i = first_bad(y, torch.round(x))
        if i is not None:
            hint = "The forward value must be torch.round(x) exactly: check which rounding function you used."
            if torch.allclose(y.detach().to(x.dtype), x):
                hint = "your forward values are not rounded: the detach goes on the difference round(x) - x, which is added to x."
            elif first_bad(y[x % 1 != 0.5], torch.round(x[x % 1 != 0.5])) is None:
                hint = "torch.round sends halves to the even neighbour (0.5 -> 0, 1.5 -> 2): use torch.round itself."
            raise WrongAnswer(f"at x = {value_at(x, i)} your forward value is {value_at(y, i)}, expected {value_at(torch.round(x), i)}.", hint)
        if y.dtype != x.dtype:
            raise WrongAnswer(f"for a {x.dtype} input your result is {y.dtype}.", "Keep x's dtype: no casts are needed.")
        g = grad_of(y, xin, torch.ones_like(x), "ste_round")
        i = first_bad(g, torch.ones_like(x))
        if i is not None:
            hint = ZERO_GRAD if not g.any() else "The backward pass of an STE is the identity: every gradient is 1."
            raise WrongAnswer(f"at x = {value_at(x, i)} your gradient is {value_at(g, i)}, expected 1.0.", hint)
        upstream = torch.randn(x.shape, generator=gen, dtype=x.dtype)
        g = grad_of(output_of(ste_round, xin, name="ste_round"), xin, upstream, "ste_round")
        if first_bad(g, upstream) is not None:
            raise WrongAnswer("with a loss other than sum(), your gradient does not equal the upstream gradient.",
                              "backward must pass grad_output through unchanged, not return a fresh tensor of ones.")
    return "forward equals torch.round (halves and negatives included), gradient passes straight through."


def _require_function_class(cls: Any, name: str) -> type:
    if is_unanswered(cls):
        raise NotAnswered()
    if not (isinstance(cls, type) and issubclass(cls, torch.autograd.Function)):
        raise WrongAnswer(f"{name} should be a class that subclasses torch.autograd.Function, but it is a {type(cls).__name__}.",
                          f"Write `class {name}(torch.autograd.Function):` with static forward and backward, and pass the class itself.")
    return cls


def _clipped_backward(cls: type, x: torch.Tensor, lo: float, hi: float, upstream: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    xin = x.clone().requires_grad_(True)
    y = output_of(cls.apply, xin, lo, hi, name=f"{cls.__name__}.apply")
    try:
        return y, grad_of(y, xin, upstream, f"{cls.__name__}.apply")
    except WrongAnswer as wrong:
        if "incorrect number of gradients" in wrong.message:
            wrong.hint = "backward must return one gradient per input of forward: the one for x, then None for lo and None for hi."
        raise


@exercise("07.2", "a clipped STE as a torch.autograd.Function")
def check_clipped_ste(ClippedSTE: Any, gen: torch.Generator) -> str:
    cls = _require_function_class(ClippedSTE, "ClippedSTE")
    ranges = [(-2, 2), (0.0, 15.0), (-int(torch.randint(1, 8, (), generator=gen)), int(torch.randint(1, 8, (), generator=gen)))]
    for lo, hi in ranges:
        probes = torch.tensor([lo - 1.5, lo - 0.3, lo, lo + 0.5, hi - 0.5, hi, hi + 0.3, hi + 0.7])
        x = torch.cat([probes, torch.rand(12, generator=gen) * (hi - lo + 6) + lo - 3])
        y, g = _clipped_backward(cls, x, lo, hi, torch.ones_like(x))
        want = torch.round(x).clamp(lo, hi)
        i = first_bad(y, want)
        if i is not None:
            raise WrongAnswer(f"with lo = {lo}, hi = {hi}: at x = {value_at(x, i)} your forward value is {value_at(y, i)}, expected {value_at(want, i)}.",
                              "forward rounds, then clamps into [lo, hi].")
        mask = ((x >= lo) & (x <= hi)).to(x.dtype)
        i = first_bad(g, mask)
        if i is not None:
            xi = x[i].item()
            hint = "Inside [lo, hi] the gradient passes through (1); outside, the forward is flat, so it is 0."
            if not g.any():
                hint = "your gradient is all zeros: backward should pass grad_output through inside [lo, hi]."
            elif xi in (lo, hi):
                hint = "lo and hi themselves count as inside (use >= and <=, like clamp does)."
            elif 0 < xi - hi < 0.5 or 0 < lo - xi < 0.5:
                hint = f"look at x itself, not at round(x): x = {xi:.4g} is outside [{lo}, {hi}] even though it rounds to an edge."
            raise WrongAnswer(f"with lo = {lo}, hi = {hi}: at x = {xi:.4g} your gradient is {g[i].item():.4g}, expected {mask[i].item():.4g}.", hint)
        upstream = torch.randn(x.shape, generator=gen)
        _, g = _clipped_backward(cls, x, lo, hi, upstream)
        i = first_bad(g, upstream * mask)
        if i is not None:
            raise WrongAnswer(f"with an upstream gradient of {upstream[i].item():.4g} at x = {x[i].item():.4g}, your gradient is "
                              f"{g[i].item():.4g}, expected {(upstream * mask)[i].item():.4g}.",
                              "backward receives grad_output (the gradient of the loss with respect to the output): multiply it by the mask, don't replace it.")
    return "rounds and clamps forward; the gradient passes inside [lo, hi] (edges included) and stops outside."


def _away_from_steps(n: int, gen: torch.Generator, margin: float) -> torch.Tensor:
    """Random float64 points in [-4, 4] at least `margin` away from every multiple of 0.5."""
    x = torch.rand(n, generator=gen, dtype=torch.float64) * 8 - 4
    return torch.floor(2 * x) / 2 + margin + torch.rand(n, generator=gen, dtype=torch.float64) * (0.5 - 2 * margin)


@exercise("07.3", "soft_round with a sharpness knob")
def check_soft_round(soft_round: Any, gen: torch.Generator) -> str:
    x = _away_from_steps(12, gen, 0.02)
    xin = x.clone().requires_grad_(True)
    y = output_of(soft_round, xin, 4.0, name="soft_round")
    g = grad_of(y, xin, torch.ones_like(x), "soft_round")
    with torch.no_grad():  # central differences of the learner's own forward pass: the true slope
        h = 1e-6
        fd = (output_of(soft_round, x + h, 4.0, name="soft_round") - output_of(soft_round, x - h, 4.0, name="soft_round")) / (2 * h)
    i = first_bad(g, fd.to(torch.float64), atol=1e-3)
    if i is not None:
        raise WrongAnswer(f"at x = {value_at(x, i)}, sharpness 4: autograd says your slope is {value_at(g, i)}, "
                          f"but your forward values change at a rate of {value_at(fd, i)}.",
                          "soft_round must be smooth all the way through: no torch.round, no detach, no STE on the gradient path.")
    steps = torch.arange(-8, 9, dtype=torch.float64) / 2
    below, above = (output_of(soft_round, steps + d, 4.0, name="soft_round").detach() for d in (-1e-9, 1e-9))
    i = first_bad(below, above.to(torch.float64), atol=1e-4)
    if i is not None:
        raise WrongAnswer(f"at sharpness 4 your soft_round jumps at x = {value_at(steps, i)}: {value_at(below, i)} just below, {value_at(above, i)} just above.",
                          "A soft round must be continuous: rescale each piece so it meets the integers exactly at its ends.")
    i = int(g.abs().argmin())
    if g.abs().min() < 1e-3:
        raise WrongAnswer(f"at x = {value_at(x, i)}, sharpness 4, your slope is {value_at(g, i)}: flat, like round itself.",
                          "A soft round should have a nonzero slope everywhere at moderate sharpness.")
    x = _away_from_steps(40, gen, 0.1)
    err = (output_of(soft_round, x, 50.0, name="soft_round").detach().to(x.dtype) - torch.round(x)).abs()
    if not err.max() < 0.01:
        i = int(err.nan_to_num(nan=1.0).argmax())
        raise WrongAnswer(f"at x = {value_at(x, i)}, sharpness 50, your soft_round is {err[i].item():.3g} away from "
                          f"torch.round(x) = {value_at(torch.round(x), i)} (allowed: 0.01).",
                          "As the sharpness grows the curve should hug the staircase everywhere, negative x included.")
    err = (output_of(soft_round, x, 1.0, name="soft_round").detach().to(x.dtype) - torch.round(x)).abs()
    if not err.max() > 0.05:
        raise WrongAnswer(f"at sharpness 1 your soft_round is never more than {err.max().item():.3g} away from torch.round(x).",
                          "Sharpness 1 should still be visibly soft: the sharpness is the knob that makes the curve steeper.")
    return "smooth, honest gradients, and it tends to round as the sharpness grows."


def _judge_freshness(fn: Any, xin: torch.Tensor, y: torch.Tensor) -> None:
    """Random outputs must differ between the 4000 copies of x in one call, and between calls (13 calls on one copy)."""
    one = xin.detach()[:1].clone().requires_grad_(True)
    first = output_of(fn, one, name="stochastic_round_ste").detach()
    rows_alike = bool((y.detach() == y.detach()[0]).all())
    calls_alike = all(torch.equal(first, output_of(fn, one, name="stochastic_round_ste").detach()) for _ in range(12))
    fresh = "Draw fresh noise inside the function on every call, one value per element: torch.rand_like(x)."
    if rows_alike and calls_alike:
        raise WrongAnswer("every copy of x rounds the same way, on every call.",
                          "Your rounding is not random, so it can't average to x. " + fresh)
    if rows_alike:
        raise WrongAnswer("in one call, all 4000 copies of the same x rounded the same way: one random number was shared by the whole tensor.",
                          "torch.rand(1) or torch.rand(()) gives one number for every element; torch.rand_like(x) gives one per element.")
    if calls_alike:
        raise WrongAnswer("two calls on the same input gave exactly the same output: the noise is the same every time.",
                          "Don't seed a generator or keep a fixed noise tensor inside the function. " + fresh)


@exercise("07.4", "stochastic rounding with a straight-through gradient")
def check_stochastic_round(stochastic_round_ste: Any, gen: torch.Generator) -> str:
    torch.manual_seed(int(torch.randint(0, 2**31, (), generator=gen)))  # learner's rand_like draws from here
    x = torch.cat([torch.tensor([2.0, -0.75]), torch.rand(6, generator=gen) * 6 - 3])
    xin = x.repeat(4000, 1).requires_grad_(True)
    y = output_of(stochastic_round_ste, xin, name="stochastic_round_ste")
    lo, hi = torch.floor(xin.detach()), torch.ceil(xin.detach())
    off = ~((y.detach() == lo) | (y.detach() == hi))
    if off.any():
        i = int(off.flatten().nonzero()[0])
        raise WrongAnswer(f"at x = {value_at(xin, i)} your output {value_at(y, i)} is neither floor(x) nor ceil(x).",
                          "Each output must be one of the two integers around x.")
    _judge_freshness(stochastic_round_ste, xin, y)
    mean = y.detach().mean(dim=0)
    i = first_bad(mean, x, atol=0.05)
    if i is not None:
        hint = "Round up with probability equal to the fractional part x - floor(x), so that the average is x."
        raise WrongAnswer(f"at x = {value_at(x, i)} your outputs average {value_at(mean, i)} over 4000 calls, expected about {value_at(x, i)}.", hint)
    g = grad_of(y, xin, torch.ones_like(xin), "stochastic_round_ste")
    i = first_bad(g, torch.ones_like(g))
    if i is not None:
        raise WrongAnswer(f"at x = {value_at(xin, i)} your gradient is {value_at(g, i)}, expected 1.0.", ZERO_GRAD if not g.any() else
                          "The backward pass is the identity: every gradient is 1.")
    return "random floor/ceil that averages to x, with an identity gradient: an STE whose forward is unbiased."
