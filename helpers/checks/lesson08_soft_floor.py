"""Lesson 08: soft floors, their autograd derivatives, a soft quantizer, and a floor with a soft gradient."""
from __future__ import annotations

from typing import Any

import torch

from helpers.checking import WrongAnswer, call_learner, exercise
from helpers.guards import backward_through, no_graph_hint, output_of, require_tensor
from helpers.soft_functions import soft_floor_sigmoid

ZERO_GRAD = "your gradient is all zeros: torch.floor (or round) is still on the gradient path; only smooth pieces may carry it."


def slope_of(y: torch.Tensor, x: torch.Tensor, name: str) -> torch.Tensor:
    """dy_i/dx_i through the learner's graph (elementwise functions only)."""
    if not y.requires_grad:
        raise WrongAnswer(f"the output of {name} does not require grad: no gradient can reach x.",
                          no_graph_hint("Something detached everything (detach, no_grad, .item(), numpy): keep x on the path."))
    g = backward_through(y, x, name)
    return torch.zeros_like(x) if g is None else g


def at(t: torch.Tensor, i: int) -> str:
    """Element i of t (flattened), formatted for a message."""
    return f"{t.flatten()[i].item() + 0.0:.4g}"


def first_bad(actual: torch.Tensor, expected: torch.Tensor, atol: float = 1e-5) -> int | None:
    """Flat index of the first element that differs, or None."""
    bad = ~torch.isclose(actual.detach().to(expected.dtype).flatten(), expected.flatten(), atol=atol, rtol=1e-4)
    return int(bad.nonzero()[0]) if bad.any() else None


def away_from_integers(n: int, gen: torch.Generator, margin: float, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """n random points in [-5, 5] at least `margin` from every integer."""
    whole = torch.randint(-5, 5, (n,), generator=gen)
    return (whole + margin + (1 - 2 * margin) * torch.rand(n, generator=gen, dtype=torch.float64)).to(dtype)


@exercise("08.1", "soft_floor(x, sharpness) that tends to floor")
def check_soft_floor(soft_floor: Any, gen: torch.Generator) -> str:
    x = away_from_integers(40, gen, 0.1).reshape(8, 5)
    y = output_of(soft_floor, x, 50.0, name="soft_floor").detach()
    err = (y - torch.floor(x)).abs().nan_to_num(nan=9.0)
    if err.max() >= 0.05:
        i = int(err.argmax())
        hint = "As the sharpness grows, each step must climb to the next integer: the flat parts sit at floor(x)."
        if ((y - torch.round(x)).abs() < 0.05).float().mean() > 0.9:
            hint = "your curve follows round(x), not floor(x): the jump of floor is at the integer, so shift by 0.5."
        raise WrongAnswer(f"at x = {at(x, i)}, sharpness 50, your soft_floor is {at(y, i)}; floor(x) = {at(torch.floor(x), i)} "
                          "(allowed distance 0.05).", hint)
    x = away_from_integers(12, gen, 0.02, torch.float64).requires_grad_(True)
    y2 = output_of(soft_floor, x, 2.0, name="soft_floor")
    same = torch.allclose(y2.detach(), output_of(soft_floor, x.detach(), 50.0, name="soft_floor").to(x.dtype))
    knob = "soft_floor(x, 2.0) and soft_floor(x, 50.0) are the same: use the sharpness argument, the knob of the steepness."
    g = slope_of(y2, x, "soft_floor")
    i = int(g.nan_to_num(nan=-1.0).argmin())
    if not g.min() > 1e-3:
        hint = ZERO_GRAD if not g.any() else knob if same else "At moderate sharpness the slope should be positive everywhere."
        raise WrongAnswer(f"at x = {at(x, i)}, sharpness 2, your gradient is {at(g, i)}.", hint)
    ints = torch.arange(-4, 5, dtype=torch.float64)
    below, above = (output_of(soft_floor, ints + d, 2.0, name="soft_floor").detach() for d in (-1e-6, 1e-6))
    i = int((above - below).abs().nan_to_num(nan=9.0).argmax())
    if not (above - below).abs().max() <= 0.01:
        raise WrongAnswer(f"at sharpness 2 your soft_floor jumps at x = {at(ints, i)}: {at(below, i)} just below, "
                          f"{at(above, i)} just above.",
                          "A soft floor is continuous: if the forward is the hard floor (an STE) or pieces are glued "
                          "with floor(x) + ..., rescale each piece so it meets its neighbours exactly.")
    if same:
        raise WrongAnswer("soft_floor(x, 2.0) and soft_floor(x, 50.0) are the same.", knob)
    return "within 0.05 of floor at sharpness 50, continuous, with a positive gradient everywhere at sharpness 2."


@exercise("08.2", "slopes(fn, x): elementwise derivative by autograd")
def check_slopes(slopes: Any, gen: torch.Generator) -> str:
    k = float(1 + 9 * torch.rand((), generator=gen))
    cases = [("torch.sin", torch.sin), (f"soft_floor_sigmoid(., {k:.3g})", lambda t: soft_floor_sigmoid(t, k)),
             ("torch.floor", torch.floor), ("t ** 3", lambda t: t**3),
             ("an STE round, t + (torch.round(t) - t).detach()", lambda t: t + (torch.round(t) - t).detach())]
    for label, fn in cases:
        x = torch.randn(3, 4, generator=gen, dtype=torch.float64) * 2
        x_before = x.clone()
        leaf = x.clone().requires_grad_(True)
        (want,) = torch.autograd.grad(fn(leaf).sum(), leaf)
        got = output_of(slopes, x, name="slopes", call=(fn, x))
        if x.requires_grad or x.grad is not None or not torch.equal(x, x_before):
            raise WrongAnswer(f"after slopes({label}, x) the caller's x changed (requires_grad={x.requires_grad}).",
                              "Work on a copy: x.detach().clone().requires_grad_(True), so the caller's tensor stays as it was.")
        again = output_of(slopes, x, name="slopes", call=(fn, x))
        i = first_bad(got, want)
        if i is not None:
            n = x.numel()
            hint = "Differentiate fn at x: make a leaf that requires grad, call fn on it, backward the sum, read .grad."
            if label.startswith("an STE") and torch.allclose(got.detach().to(want.dtype), torch.zeros_like(want), atol=1e-3):
                hint = ("that is the slope of the forward values (finite differences see flat steps); autograd says 1 for an STE. "
                        "Compute the slopes by autograd: backward() or torch.autograd.grad on a fresh leaf.")
            elif not got.detach().any() and want.any():
                hint = "all zeros: was backward() run on fn's output, or did the leaf lose requires_grad?"
            elif torch.allclose(got.detach().to(want.dtype) * n, want):
                hint = f"each slope is divided by {n}: you differentiated the mean; the sum keeps every slope as it is."
            elif torch.allclose(got.detach().to(want.dtype), fn(x)):
                hint = "these are fn's values, not its slopes."

            raise WrongAnswer(f"for fn = {label} at x = {at(x, i)} your slope is {at(got, i)}, autograd says {at(want, i)}.", hint)
        if first_bad(again, want) is not None:
            raise WrongAnswer(f"calling slopes({label}, x) a second time gives {at(again, 0)} instead of {at(want, 0)}.",
                              "Gradients accumulate in .grad: use a fresh leaf per call (or torch.autograd.grad).")
    return "autograd's slopes for every function tried, and the caller's tensor is left alone."


@exercise("08.3", "soft_quantize(x, step, sharpness) onto a grid")
def check_soft_quantize(soft_quantize: Any, gen: torch.Generator) -> str:
    steps = [0.5, 2.0, float(0.1 + torch.rand((), generator=gen))]
    for step in steps:
        k = float(2 + 18 * torch.rand((), generator=gen))
        x = (torch.randn(4, 6, generator=gen) * 3).requires_grad_(True)
        y = output_of(soft_quantize, x, step, k, name="soft_quantize")
        want = step * soft_floor_sigmoid(x / step, k)
        call = f"soft_quantize(x, step={step:.3g}, sharpness={k:.3g})"
        i = first_bad(y, want.detach(), atol=1e-4)
        if i is not None:
            got, ref = y.detach().to(want.dtype), want.detach()
            hint = "Quantize in units of the step: divide x by step, apply the soft floor, multiply by step."
            if torch.allclose(got, step * soft_floor_sigmoid(x.detach(), k), atol=1e-4):
                hint = "you applied the soft floor to x itself: divide by the step first, so the jumps land on multiples of step."
            elif torch.allclose(got, soft_floor_sigmoid(x.detach() / step, k), atol=1e-4):
                hint = "you forgot to multiply back by the step: the result should be in x's units, near a multiple of step."
            elif torch.allclose(got, step * torch.floor(x.detach() / step)):
                hint = "that is the hard quantizer: its gradient is zero. Use soft_floor_sigmoid instead of torch.floor."
            raise WrongAnswer(f"{call} at x = {at(x, i)} gives {at(got, i)}, expected {at(ref, i)}.", hint)
        g = slope_of(y, x, "soft_quantize")
        (g_want,) = torch.autograd.grad(want.sum(), x)
        i = first_bad(g, g_want, atol=1e-4)
        if i is not None:
            raise WrongAnswer(f"the gradient of {call} at x = {at(x, i)} is {at(g, i)}, autograd of the soft quantizer "
                              f"says {at(g_want, i)}.", ZERO_GRAD if not g.any() else "Keep x on the path: no detach, no rounding.")
    return "the soft floor on a grid of any step, with the chain rule doing the rest."


@exercise("08.4", "floor_with_soft_gradient: hard floor forward, soft floor's slope backward")
def check_floor_with_soft_gradient(floor_with_soft_gradient: Any, gen: torch.Generator) -> str:
    for dtype in (torch.float32, torch.float64):
        k = float(1 + 9 * torch.rand((), generator=gen))
        x = (torch.rand(5, 4, generator=gen, dtype=dtype) * 8 - 4).requires_grad_(True)
        y = output_of(floor_with_soft_gradient, x, k, name="floor_with_soft_gradient")
        call = f"floor_with_soft_gradient(x, {k:.3g})"
        i = first_bad(y, torch.floor(x.detach()), atol=0)
        if i is not None:
            hint = "The forward value must be exactly torch.floor(x): only the gradient comes from the soft floor."
            if torch.allclose(y.detach().to(dtype), soft_floor_sigmoid(x.detach(), k), atol=1e-5):
                hint = "that is the soft floor itself: add (torch.floor(x) - soft).detach() so the forward becomes exact."
            raise WrongAnswer(f"{call} at x = {at(x, i)} gives {at(y, i)}, expected floor(x) = {at(torch.floor(x), i)}.", hint)
        g = slope_of(y, x, "floor_with_soft_gradient")
        leaf = x.detach().clone().requires_grad_(True)
        (want,) = torch.autograd.grad(soft_floor_sigmoid(leaf, k).sum(), leaf)
        i = first_bad(g, want, atol=1e-4)
        if i is not None:
            hint = "Start from the soft floor, soft_floor_sigmoid(x, sharpness), and detach only the difference floor(x) - soft."
            if torch.allclose(g.to(dtype), torch.ones_like(g)):
                hint = "gradient 1 everywhere is the plain STE (lesson 07): here the slope should be the soft floor's."
            elif not g.any():
                hint = ZERO_GRAD
            elif torch.allclose(g.to(dtype), -want):
                hint = "your gradient has the wrong sign: detach the difference floor(x) - soft, and add soft outside it."
            raise WrongAnswer(f"the gradient of {call} at x = {at(x, i)} is {at(g, i)}, expected the soft floor's slope {at(want, i)}.", hint)
    return "exact floor forward, and the soft floor's slope backward: an STE with an honest-looking gradient."
