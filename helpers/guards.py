"""Shared answer guards for rules: each raises WrongAnswer with a message aimed at the mistake."""
from __future__ import annotations

import numbers
import operator
from typing import Any

import numpy as np
import torch

from helpers.checking import NotAnswered, TimedOut, WrongAnswer, call_learner, is_unanswered, last_call_changes


def require_tensor(value: Any, name: str) -> torch.Tensor:
    """The answer must be a tensor (a stub means 'not answered')."""
    if is_unanswered(value):
        raise NotAnswered()
    if not isinstance(value, torch.Tensor):
        raise WrongAnswer(f"{name} should be a torch.Tensor, but it is a {type(value).__name__}.",
                          "Build it with torch.tensor(...) or another torch function.")
    # type(), not isinstance: a Tensor subclass can override every torch function, allclose included
    if type(value) not in (torch.Tensor, torch.nn.Parameter):
        raise WrongAnswer(f"{name} should be a plain torch.Tensor, but it is a {type(value).__name__} (a Tensor subclass).",
                          "Return the tensor that torch operations give you, not an object of your own class.")
    if value.device.type != "cpu":
        raise WrongAnswer(f"{name} is on the {value.device.type} device; the check works with CPU tensors.",
                          "Keep the tensor where the inputs are (the CPU): no .to(device), no device= argument.")
    return value


def as_number(value: Any) -> float | None:
    """A plain float from any real number (int, float, NumPy scalar, one-element real tensor); None otherwise."""
    if isinstance(value, torch.Tensor) and value.numel() == 1 and not value.is_complex() and value.dtype != torch.bool:
        value = value.item()
    if isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)):
        return float(value)
    return None


def as_count(value: Any) -> int | None:
    """An int from anything integer-like (`operator.index`: int, NumPy integer, integer 0-d tensor); None otherwise."""
    if isinstance(value, (bool, np.bool_)) or (isinstance(value, torch.Tensor) and value.dtype == torch.bool):
        return None
    if isinstance(value, torch.Tensor) and value.numel() == 1 and not (value.is_floating_point() or value.is_complex()):
        return int(value.item())
    try:
        return operator.index(value)
    except TypeError:
        return None


def require_bool(value: Any, name: str) -> bool:
    """The answer must be True or False (not a tensor, not a string)."""
    if is_unanswered(value):
        raise NotAnswered()
    if isinstance(value, torch.Tensor) and value.numel() == 1 and value.dtype == torch.bool:
        return bool(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if not isinstance(value, bool):
        raise WrongAnswer(f"{name} should be True or False, but it is {value!r}.", "Answer with the Python literal True or False.")
    return value


def _fmt_index(index: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(i) for i in index) + "]"


def require_close(actual: Any, expected: torch.Tensor, what: str, *, inputs: str = "",
                  atol: float = 1e-5, rtol: float = 1e-4, zero_hint: str = "") -> None:
    """`actual` must match `expected` (PyTorch's own result) in shape and values."""
    where = f" {inputs}" if inputs else ""
    if actual is None:
        raise WrongAnswer(f"{what}{where} is None.",
                          "None means no gradient reached it: does it require grad, and did backward() run?")
    actual = require_tensor(actual, what)
    if actual.shape != expected.shape:
        raise WrongAnswer(f"{what}{where} has shape {tuple(actual.shape)}, expected {tuple(expected.shape)}.",
                          "Check which dimension you reduced or indexed over.")
    if actual.is_complex() and not expected.is_complex():
        raise WrongAnswer(f"{what}{where} is complex ({actual.dtype}); expected real numbers.",
                          "Nothing here needs complex numbers: keep the dtype of the inputs.")
    if not (actual.is_floating_point() or actual.is_complex()):
        actual = actual.to(expected.dtype)
    actual = actual.detach().to(expected.dtype)
    if torch.isnan(actual).any() and not torch.isnan(expected).any():
        raise WrongAnswer(f"{what}{where} contains NaN.", "Look for 0/0, log(0) or sqrt of a negative number.")
    if torch.allclose(actual, expected, atol=atol, rtol=rtol, equal_nan=True):
        return
    bad = (~torch.isclose(actual, expected, atol=atol, rtol=rtol, equal_nan=True)).nonzero()[0]
    index = tuple(int(i) for i in bad)
    got, want = actual[index].item(), expected[index].item()
    at = f" at index {_fmt_index(index)}" if actual.dim() else ""
    hint = ""
    if zero_hint and not actual.any() and expected.any():
        hint = zero_hint
    raise WrongAnswer(f"{what}{where}{at} is {got:.4g}, expected {want:.4g}.", hint)


def output_of(fn: Any, x: torch.Tensor, *args: Any, name: str, call: tuple[Any, ...] | None = None) -> torch.Tensor:
    """The learner's fn(x, *args) (or fn(*call)): a floating tensor of x's shape, else feedback."""
    y = call_learner(fn, *(call if call is not None else (x, *args)), name=name)
    if y is None:
        raise WrongAnswer(f"{name} returned None.", "Did you forget the `return` statement?")
    y = require_tensor(y, f"the result of {name}")
    if y.shape != x.shape:
        raise WrongAnswer(f"for an input of shape {tuple(x.shape)}, {name} returned shape {tuple(y.shape)}.",
                          "Work elementwise: the output has the same shape as x (no sum, no mean).")
    if not y.is_floating_point():
        raise WrongAnswer(f"{name} returned a {y.dtype} tensor; it should be floating point like x.",
                          "A cast to an integer dtype cuts the graph (lesson 04): keep the values as floats.")
    return y


GRAD_SWITCHED_OFF = ("your function switched gradient recording off for the whole program (torch.set_grad_enabled(False) "
                     "or a no_grad() entered by hand): nothing it computed was recorded. Use `with torch.no_grad():` only "
                     "around the part that must not be recorded.")


def no_graph_hint(default: str) -> str:
    """The hint for an output cut off from the graph: grad mode switched off by the learner's call, else `default`."""
    return GRAD_SWITCHED_OFF if any(c.startswith("gradient recording") for c in last_call_changes()) else default


def backward_through(y: torch.Tensor, x: torch.Tensor, name: str, weights: torch.Tensor | None = None) -> torch.Tensor | None:
    """d(sum(weights * y))/dx, run through call_learner: a learner's backward() gets the time limit too."""
    loss = y.sum() if weights is None else (y * weights).sum()
    try:
        (g,) = call_learner(torch.autograd.grad, loss, x, allow_unused=True, name=f"the backward pass of {name}")
    except TimedOut as slow:
        raise TimedOut(slow.message.split(" on ")[0] + f" (an input of shape {tuple(x.shape)}): a loop that never ends?",
                       slow.hint) from None
    return g


def grad_of(y: torch.Tensor, x: torch.Tensor, upstream: torch.Tensor, name: str) -> torch.Tensor:
    """d(sum(upstream * y))/dx through the learner's graph; a broken graph becomes feedback."""
    if not y.requires_grad:
        raise WrongAnswer(f"the output of {name} does not require grad, so no gradient can reach x.",
                          no_graph_hint("Something detached all of it: only the difference q(x) - x should be detached; "
                                        "x must stay on the path."))
    g = backward_through(y, x, name, upstream)
    return torch.zeros_like(x) if g is None else g


def first_bad(actual: torch.Tensor, expected: torch.Tensor, atol: float = 1e-5) -> int | None:
    """Flat index of the first element that differs, or None when all agree."""
    bad = ~torch.isclose(actual.detach().to(expected.dtype).flatten(), expected.flatten(), atol=atol, rtol=1e-4)
    return int(bad.nonzero()[0]) if bad.any() else None


def value_at(x: torch.Tensor, i: int) -> str:
    """Element i of x (flattened), formatted for a message."""
    return f"{x.flatten()[i].item() + 0.0:.4g}"  # + 0.0 turns -0.0 into 0.0
