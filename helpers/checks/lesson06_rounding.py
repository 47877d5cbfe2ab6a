"""Lesson 06: rounding gives zero gradients, float32 edge cases, and a training loop that stalls."""
from __future__ import annotations

import math
from typing import Any, Callable

import torch

from helpers.checking import WrongAnswer, call_learner, exercise
from helpers.predictions import judge_predictions
from helpers.guards import backward_through, no_graph_hint, require_tensor

_EXPRESSIONS_0601: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "a": lambda x: torch.floor(x),
    "b": lambda x: x - torch.floor(x),
    "c": lambda x: torch.round(x) * x,
    "d": lambda x: torch.ceil(x) ** 2,
    "e": lambda x: (x - torch.round(x)) ** 2,
}
_HINTS_0601 = {
    "a": "floor's gradient is 0 everywhere, at x = 2.5 too.",
    "b": "the x term passes gradient 1 and floor adds 0: 1 - 0.",
    "c": "product rule: round(x) * 1 + x * 0, and round(2.5) is 2 (half to even), not 3.",
    "d": "the chain rule multiplies by ceil's gradient, which is 0.",
    "e": "2 * (x - round(x)) * (1 - 0), and round(2.5) is 2 (half to even).",
}


@exercise("06.1", "predict gradients through rounding")
def predict_grads(grads: Any, gen: torch.Generator) -> str:
    truth = {}
    for key, f in _EXPRESSIONS_0601.items():
        x = torch.tensor(2.5, requires_grad=True)
        f(x).backward()
        truth[key] = x.grad.item()
    judge_predictions(grads, truth, _HINTS_0601, "grads")
    return "all five gradients match autograd."


_VALUES_0602: dict[str, Callable[[], torch.Tensor]] = {
    "a": lambda: torch.floor(torch.tensor(2.9999999)),
    "b": lambda: torch.floor(torch.tensor(2.9999999, dtype=torch.float64)),
    "c": lambda: torch.round(torch.tensor(2.5)),
    "d": lambda: torch.round(torch.tensor(-1.5)),
    "e": lambda: torch.floor(torch.tensor(0.29, dtype=torch.float64) * 100),
    "f": lambda: torch.trunc(torch.tensor(-2.7)),
}
_HINTS_0602 = {
    "a": "in float32, torch.tensor(2.9999999) is stored as exactly 3.0, so its floor is 3.",
    "b": "float64 keeps about 16 digits, so 2.9999999 stays below 3.",
    "c": "torch.round sends halves to the even neighbour: 2.5 -> 2.",
    "d": "halves go to the even neighbour: -1.5 -> -2.",
    "e": "0.29 * 100 is 28.999999999999996 in float64, just below 29.",
    "f": "trunc cuts towards zero, unlike floor: -2.7 -> -2.",
}


@exercise("06.2", "predict rounded values")
def predict_values(values: Any, gen: torch.Generator) -> str:
    truth = {key: make().item() for key, make in _VALUES_0602.items()}
    judge_predictions(values, truth, _HINTS_0602, "values")
    return "all six values match PyTorch."


def _run_training(forward: Any, x: torch.Tensor, y: torch.Tensor, steps: int = 100) -> tuple[list[float], float]:
    """The check's own gradient-descent loop around the learner's forward; returns the losses and final w."""
    w = torch.tensor(1.0, requires_grad=True)
    lr = 0.25 / (x**2).mean().item()  # halves the error of w * x each step, whatever the data
    losses = []
    for step in range(steps):
        out = require_tensor(call_learner(forward, w, x, name="fixed_forward"), "fixed_forward(w, x)")
        if out.shape != x.shape:
            raise WrongAnswer(f"fixed_forward(w, x) has shape {tuple(out.shape)} for x of shape {tuple(x.shape)}.",
                              "Return one predicted price per quantity, like the broken forward does.")
        if not out.requires_grad:
            raise WrongAnswer("the output of fixed_forward has no grad_fn: it is cut off from w.",
                              no_graph_hint("a cast to an integer dtype, .detach(), or a result that does not use w cuts the graph."))
        loss = ((out.to(y.dtype) - y) ** 2).mean()
        if not math.isfinite(loss.item()):
            raise WrongAnswer(f"the loss became {loss.item()} at step {step}.", "Look for a division by zero or an overflow.")
        losses.append(loss.item())
        w.grad = backward_through(loss, w, "fixed_forward")
        if step == 0 and (w.grad is None or w.grad.item() == 0):
            raise WrongAnswer("at the first step the gradient on w is 0, so w can never move.",
                              "rounding (floor, round, ceil, trunc) is still on the gradient path: its gradient is 0.")
        with torch.no_grad():
            w -= lr * w.grad
        w.grad = None
    return losses, w.item()


@exercise("06.3", "fix the forward pass so it learns")
def fixed_forward_rule(fixed_forward: Any, gen: torch.Generator) -> str:
    for n in (24, 7):
        quantity = torch.randint(1, 11, (n,), generator=gen).float()
        true_w = 1.5 + 1.5 * torch.rand((), generator=gen).item()
        price = torch.floor(true_w * quantity * 100) / 100  # the recorded prices are in whole cents
        losses, w = _run_training(fixed_forward, quantity, price)
        if losses[-1] > 0.01 * losses[0]:
            raise WrongAnswer(f"in 100 steps the loss only went from {losses[0]:.4g} to {losses[-1]:.4g}.",
                              "the forward should be price = w * quantity, differentiable in w.")
        if abs(w - true_w) > 0.01:
            raise WrongAnswer(f"training ended with w = {w:.4f}, but the prices were made with w = {true_w:.4f}.",
                              "the forward should be price = w * quantity, with no other factor.")
    return "trained in the check's own loop, your model's loss falls and w finds the true unit price."
