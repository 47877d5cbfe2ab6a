"""Lesson 03a: in-place changes of saved tensors, anomaly mode, and in-place updates that autograd can see."""
from __future__ import annotations

import re
import warnings
from typing import Any, Callable

import torch

from helpers.checking import WrongAnswer, call_learner, exercise
from helpers.guards import require_close, require_tensor
from helpers.predictions import judge_predictions

INPLACE_ERROR = "modified by an inplace operation"


def _exp_add(x: torch.Tensor) -> None:
    y = x.exp()
    y.add_(1)
    y.sum().backward()


def _tanh_input(x: torch.Tensor) -> None:
    h = x * 2
    y = h.tanh()
    h.add_(1)
    y.sum().backward()


def _cos_input(x: torch.Tensor) -> None:
    h = x * 2
    y = h.cos()
    h.add_(1)
    y.sum().backward()


def _rebind(x: torch.Tensor) -> None:
    y = x.exp()
    y = y + 1
    y.sum().backward()


def _through_data(x: torch.Tensor) -> None:
    y = x.exp()
    y.data.mul_(0)
    y.sum().backward()


def _leaf_iadd(x: torch.Tensor) -> None:
    x += 1


def _update_before_backward(x: torch.Tensor) -> None:
    loss = (x * x).sum()
    with torch.no_grad():
        x -= 0.1
    loss.backward()


# The snippets of exercise 03a.1, exactly as the exercise prints them; PyTorch says whether each raises.
SNIPPETS: dict[str, Callable[[torch.Tensor], None]] = {
    "a": _exp_add, "b": _tanh_input, "c": _cos_input, "d": _rebind,
    "e": _through_data, "f": _leaf_iadd, "g": _update_before_backward,
}
RAISES_HINTS = {
    "a": "exp saves its output y for the backward pass; y.add_(1) changes it, so backward() raises.",
    "b": "tanh saves its output, not its input: changing h after y = h.tanh() harms nothing.",
    "c": "cos saves its input h (its derivative is -sin h): changing h in place makes backward() raise.",
    "d": "y = y + 1 makes a new tensor; the y that exp saved is untouched, so nothing raises.",
    "e": ".data changes values without moving the version counter: no error, just a wrong gradient (zeros).",
    "f": "x is a leaf that requires grad: an in-place change raises at once, at the `+=`.",
    "g": "the no_grad update moves x's version after (x * x) saved it: backward() raises.",
}


def _raises(snippet: Callable[[torch.Tensor], None]) -> bool:
    try:
        snippet(torch.tensor([0.5, 1.5, -1.0], requires_grad=True))
    except RuntimeError:
        return True
    return False


@exercise("03a.1", "predict: which snippets raise")
def raises_rule(raises: Any, gen: torch.Generator) -> str:
    judge_predictions(raises, {k: _raises(s) for k, s in SNIPPETS.items()}, RAISES_HINTS, "raises")
    return "you know which in-place changes autograd catches, and the one it cannot see."


def loss_fn(x: torch.Tensor) -> torch.Tensor:
    """The function of exercise 03a.2, exactly as the exercise prints it."""
    a = x.sin()
    b = a * 2
    c = b.exp()
    d = c + a
    c.mul_(0.5)
    return (d * d).sum()


def _anomaly_node() -> str:
    """The node anomaly mode names when loss_fn's backward fails (PyTorch is the oracle)."""
    x = torch.tensor([0.1, 0.2], requires_grad=True)
    with warnings.catch_warnings(record=True) as caught, torch.autograd.set_detect_anomaly(True):
        warnings.simplefilter("always")
        try:
            loss_fn(x).backward()
        except RuntimeError:
            pass
    found = [re.search(r"Error detected in (\w+)", str(w.message)) for w in caught]
    return next((m.group(1) for m in found if m), "(anomaly mode reported no node)")


CULPRIT_HINTS = {
    "node": "Anomaly mode names the node whose backward failed, in 'Error detected in ...': it is the node that "
            "saved the changed tensor, not the last operation of the function.",
    "tensor": "The changed tensor is the one the failing node saved: exp saves its output, and c.mul_(0.5) changes c.",
}


@exercise("03a.2", "culprit: read what anomaly mode reports")
def culprit_rule(culprit: Any, gen: torch.Generator) -> str:
    judge_predictions(culprit, {"node": _anomaly_node(), "tensor": "c"}, CULPRIT_HINTS, "culprit")
    return "you read anomaly mode's report: the node that saved the tensor, and the tensor changed later."


def _normalize_cases(gen: torch.Generator) -> list[torch.Tensor]:
    rows = int(torch.randint(2, 5, (1,), generator=gen))
    return [torch.randn(2, 3, generator=gen), torch.randn(4, generator=gen) * 3, torch.randn(rows, 5, generator=gen)]


@exercise("03a.3", "normalize_rows: the same values without the in-place change")
def normalize_rule(normalize_rows: Any, gen: torch.Generator) -> str:
    for x in _normalize_cases(gen):
        shape = tuple(x.shape)
        x = x.requires_grad_()
        y = require_tensor(call_learner(normalize_rows, x, name="normalize_rows"), "the result of normalize_rows")
        if y.shape == x.shape and y.dtype == x.dtype and torch.allclose(y.detach(), x.detach().exp(), rtol=1e-4):
            raise WrongAnswer(f"for x of shape {shape} normalize_rows returns exp(x): the rows do not sum to 1.",
                              "Divide each row by its sum: y.sum(dim=-1, keepdim=True).")
        require_close(y, torch.softmax(x.detach(), dim=-1), "normalize_rows(x)", inputs=f"for x of shape {shape}")
        if not y.requires_grad:
            raise WrongAnswer(f"for x of shape {shape} the result does not require grad: no gradient reaches x.",
                              "Keep the computation on the graph: no .detach(), .data or torch.no_grad() around it.")
        upstream = torch.randn(shape, generator=gen)
        try:
            (got,) = torch.autograd.grad((y * upstream).sum(), x)
        except RuntimeError as error:
            if INPLACE_ERROR in str(error):
                raise WrongAnswer(f"for x of shape {shape} the backward pass raises: {str(error)[:90]}...",
                                  "A tensor that a node saved is still changed in place (exp saves its output): "
                                  "write y = y / ... instead of y /= ....") from None
            raise WrongAnswer(f"for x of shape {shape} the backward pass raises: {str(error)[:120]}",
                              "Build the result with ordinary out-of-place operations.") from None
        (want,) = torch.autograd.grad((torch.softmax(x, dim=-1) * upstream).sum(), x)
        if not torch.allclose(got, want, atol=1e-5, rtol=1e-4):
            raise WrongAnswer(f"for x of shape {shape} the values are right but the gradient is not "
                              f"(first entry {got.flatten()[0].item():.4g}, expected {want.flatten()[0].item():.4g}).",
                              "The values changed behind autograd's back (through .data?): the backward pass used the "
                              "changed values. Divide out of place: y = y / y.sum(dim=-1, keepdim=True).")
    return "the right rows, and gradients that autograd computes from unchanged saved tensors."


def _weights(gen: torch.Generator) -> list[tuple[torch.Tensor, float, float]]:
    lo = -0.5 * float(torch.rand((), generator=gen)) - 0.1
    return [(torch.randn(4, generator=gen), -0.5, 0.5), (torch.randn(3, 2, generator=gen) * 2, lo, -lo)]


@exercise("03a.4", "clamp_weights_: an in-place update autograd can see")
def clamp_rule(clamp_weights_: Any, gen: torch.Generator) -> str:
    for values, lo, hi in _weights(gen):
        w = values.clone().requires_grad_()
        pending = (w * w).sum()  # a graph that saved w, as a forward pass waiting for its backward would
        version = w._version
        try:
            result = call_learner(clamp_weights_, w, lo, hi, name="clamp_weights_")
        except WrongAnswer as wrong:
            hint = ("An in-place change of a leaf that requires grad is allowed only where autograd is not "
                    "recording: put it under `with torch.no_grad():`.") if "leaf Variable" in wrong.message else wrong.hint
            raise WrongAnswer(wrong.message, hint) from None
        where = f"for w of shape {tuple(w.shape)}, lo = {lo:.3g}, hi = {hi:.3g}"
        if result is None:
            raise WrongAnswer(f"{where}, clamp_weights_ returned None.",
                              "End with `return w`, as PyTorch's in-place methods return the tensor they changed.")
        if torch.equal(w.detach(), values) and not torch.equal(values.clamp(lo, hi), values):
            raise WrongAnswer(f"{where}, the caller's w is unchanged after clamp_weights_(w, lo, hi).",
                              "`w = w.clamp(...)` only moves a local name; the model still holds the old tensor. "
                              "Change w itself, in place (clamp_).")
        require_close(w.detach(), values.clamp(lo, hi), "w after clamp_weights_", inputs=where)
        if result is not w:
            raise WrongAnswer(f"{where}, w is clamped, but clamp_weights_ returned another object.",
                              "Return w itself, the tensor you changed in place (as PyTorch's in-place methods do).")
        if not (w.is_leaf and w.requires_grad):
            raise WrongAnswer(f"{where}, w is no longer a leaf that requires grad (is_leaf = {w.is_leaf}, "
                              f"requires_grad = {w.requires_grad}).",
                              "Do the update under torch.no_grad(), so it is not recorded, and keep requires_grad on.")
        if w._version == version:
            raise WrongAnswer(f"{where}, w's values changed but w._version did not move.",
                              "You changed w through .data: autograd cannot see that, so a pending backward pass "
                              "would silently use the new values. Use torch.no_grad() (or .detach()) instead.")
        del pending
    return "w is clamped in place, stays the same leaf, and autograd can see that it changed."
