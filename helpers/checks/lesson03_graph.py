"""Lesson 03: leaves and grad_fn, walking the graph, retain_grad, and gradients that accumulate."""
from __future__ import annotations

import numbers
import warnings
from collections import Counter
from typing import Any

import torch

from helpers.checking import TimedOut, WrongAnswer, call_learner, exercise, is_unanswered
from helpers.predictions import judge_predictions
from helpers.guards import require_close, require_tensor

LEAF_HINTS = {
    "w": "w was made by you, not by an operation: a leaf (with requires_grad=True).",
    "x": "every tensor that doesn't require grad counts as a leaf, by convention: x.is_leaf is True.",
    "h": "h = w * x was made by an operation on a tensor that requires grad: not a leaf.",
    "loss": "loss = h.sum() comes from an operation on h, which requires grad: not a leaf.",
    "d": "detach() gives a tensor with no history and no requires_grad: a leaf, like x.",
}
GRAD_FN_HINTS = {
    "w": "leaves have no grad_fn: None.",
    "x": "x never required grad, so nothing was recorded: None.",
    "h": "the node is named after the operation and the backward pass: MulBackward0.",
    "loss": "sum() records a SumBackward0 node.",
    "d": "detach() cuts the history: grad_fn is None.",
}


def _tensors(gen: torch.Generator) -> dict[str, torch.Tensor]:
    w, x = torch.randn(3, generator=gen).requires_grad_(), torch.randn(3, generator=gen)
    h = w * x
    return {"w": w, "x": x, "h": h, "loss": h.sum(), "d": h.detach()}


@exercise("03.1", "predict is_leaf and grad_fn")
def leaf_rule(is_leaf: Any, grad_fn_name: Any, gen: torch.Generator) -> str:
    tensors = _tensors(gen)  # PyTorch is the oracle for both dicts
    if is_unanswered(is_leaf) or is_unanswered(grad_fn_name):
        left = "is_leaf" if is_unanswered(is_leaf) else "grad_fn_name"
        raise WrongAnswer(f"{left} is still `...`.", "Fill in both dicts before checking.")
    judge_predictions(is_leaf, {k: t.is_leaf for k, t in tensors.items()}, LEAF_HINTS, "is_leaf")
    names = {k: type(t.grad_fn).__name__ if t.grad_fn is not None else None for k, t in tensors.items()}
    judge_predictions(grad_fn_name, names, GRAD_FN_HINTS, "grad_fn_name")
    return "leaves and grad_fn names as PyTorch has them."


def _expected_names(t: torch.Tensor) -> list[str]:
    """Reference walk, recursive on purpose: the exercise asks learners for a walk of their own."""
    found: dict[Any, str] = {}

    def visit(node: Any) -> None:
        if node is not None and node not in found:
            found[node] = type(node).__name__
            for child, _ in node.next_functions:
                visit(child)

    visit(t.grad_fn)
    return list(found.values())


def _graphs(gen: torch.Generator) -> list[tuple[str, torch.Tensor, str]]:
    """(description, root, hint if the learner's function crashes on it)."""
    w, b = torch.randn(3, generator=gen).requires_grad_(), torch.randn((), generator=gen).requires_grad_()
    x, a = torch.randn(3, generator=gen), torch.randn(2, generator=gen).requires_grad_()
    m = torch.randn(int(torch.randint(2, 5, (1,), generator=gen)), 3, generator=gen).requires_grad_()
    none_hint = "next_functions holds None for an input that needs no grad: skip those entries."
    return [("y = w * x + b", w * x + b, none_hint),
            ("(a * a).sum() (a used twice)", (a * a).sum(), ""),
            ("((w * b).exp() + w.sin()).mean()", ((w * b).exp() + w.sin()).mean(), ""),
            ("(m @ w).relu().sum() * 2", (m @ w).relu().sum() * 2, ""),
            ("a leaf w", w, "a leaf has grad_fn None: return an empty list then."),
            ("x * 2 (nothing requires grad)", x * 2, "a tensor that doesn't require grad has grad_fn None: return []."),
            ("a chain of 8 tanh", _chain(a, 8), "")]


def _chain(t: torch.Tensor, n: int) -> torch.Tensor:
    for _ in range(n):
        t = t.tanh()
    return t


def _clean(name: Any) -> Any:
    return name.removeprefix("torch::autograd::") if isinstance(name, str) else name


@exercise("03.2", "grad_fn_names: walk the graph")
def walk_rule(grad_fn_names: Any, gen: torch.Generator) -> str:
    for what, root, crash_hint in _graphs(gen):
        try:
            got = call_learner(grad_fn_names, root, name="grad_fn_names")
        except TimedOut:
            raise
        except WrongAnswer as wrong:
            raise WrongAnswer(f"on {what}: {wrong.message}", crash_hint or wrong.hint) from None
        if not isinstance(got, (list, tuple)) or not all(isinstance(n, str) for n in got):
            raise WrongAnswer(f"on {what} grad_fn_names returned {got!r:.80}, not a list of strings.",
                              "Collect type(node).__name__ for each node into a list.")
        got, want = Counter(map(_clean, got)), Counter(_expected_names(root))
        if got == want:
            continue
        extra, missing = got - want, want - got
        message = f"on {what} you listed {sorted(got.elements())}, expected {sorted(want.elements())}."
        if any(" object at " in n or n.startswith("<") for n in got):
            hint = "Those are reprs; the name is type(node).__name__."
        elif extra and set(extra) <= set(want):
            hint = "A node reached along two paths (a tensor used twice) counts once: remember the nodes you have visited."
        elif missing and not extra and set(got) == set(want):
            hint = ("Different nodes can share a name (a chain of 8 tanh has 8 TanhBackward0 nodes): remember the nodes "
                    "you have visited by the node itself, not by its name.")
        elif missing and set(missing) == {"AccumulateGrad"}:
            hint = "Leaves that require grad appear as AccumulateGrad nodes: list them too."
        elif missing:
            hint = "Walk all the way down: every node's next_functions, not just the root's."
        else:
            hint = "List each node of the graph once, by type(node).__name__."
        raise WrongAnswer(message, hint)
    return "the right nodes, each once, on every graph tried."


@exercise("03.3", "hidden_grad: the gradient of a non-leaf")
def hidden_rule(hidden_grad: Any, gen: torch.Generator) -> str:
    for shape in ((3,), (2, 2), (int(torch.randint(1, 6, (1,), generator=gen)),)):
        w, x = torch.randn(shape, generator=gen).requires_grad_(), torch.randn(shape, generator=gen)
        h = (w * x).tanh()  # the function the exercise states
        want_h, want_w = torch.autograd.grad((h**2).sum(), [h, w])
        with warnings.catch_warnings(record=True) as caught:  # the non-leaf .grad warning becomes our hint
            warnings.simplefilter("always")
            got = call_learner(hidden_grad, w.detach().clone().requires_grad_(), x.clone(), name="hidden_grad", none_ok=True)
        if got is None:
            told = any("not a leaf" in str(c.message) for c in caught)
            raise WrongAnswer(f"for w of shape {shape}, hidden_grad returned None{' (PyTorch warned you: h is not a leaf)' if told else ''}.",
                              "backward() fills .grad on leaves only: call h.retain_grad() before loss.backward() to keep h's gradient.")
        got = require_tensor(got, "hidden_grad(w, x)")
        if (got.shape == want_w.shape and got.is_floating_point() and torch.allclose(got.detach().to(want_w.dtype), want_w)
                and not torch.allclose(want_w, want_h)):
            raise WrongAnswer(f"for w of shape {shape} you returned dloss/dw, the gradient of the leaf w.",
                              "The exercise asks for dloss/dh, the gradient of the intermediate h = tanh(w * x).")
        require_close(got, want_h, "dloss/dh", inputs=f"for w of shape {shape}")
    return "dloss/dh as autograd computes it, for every shape tried."


@exercise("03.4", "fit_slope: gradients must be zeroed every step")
def fit_rule(fit_slope: Any, gen: torch.Generator) -> str:
    for n, steps, lr in ((5, 30, 0.1), (int(torch.randint(3, 9, (1,), generator=gen)), 40, 0.05)):
        xs = torch.randn(n, generator=gen)
        ys = (1 + 2 * torch.rand((), generator=gen)) * xs + 0.1 * torch.randn(n, generator=gen)
        got = call_learner(fit_slope, xs, ys, steps=steps, lr=lr, name="fit_slope")
        if isinstance(got, numbers.Real):
            raise WrongAnswer(f"fit_slope returned the plain number {got!r:.12}, not the tensor w.",
                              "Keep the template's `return w`: the check reads the tensor itself (.item() turns it into a Python float).")
        got = require_tensor(got, "fit_slope(...)")
        if got.numel() != 1:
            raise WrongAnswer(f"fit_slope returned a tensor of shape {tuple(got.shape)}, expected the single weight w.", "Return w.")
        value = got.detach().reshape(()).to(torch.float32)
        want, leaky = _fit(xs, ys, steps, lr, zero=True), _fit(xs, ys, steps, lr, zero=False)
        if torch.allclose(value, leaky, atol=1e-5) and not torch.allclose(want, leaky, atol=1e-5):
            raise WrongAnswer(f"with {n} points, {steps} steps and lr = {lr} your w ends at {value.item():.4f}, "
                              f"expected {want.item():.4f}: the loop still adds every step's gradient to the last.",
                              "backward() adds into w.grad. Reset it after each update, so each step uses its own gradient only.")
        if torch.allclose(value, torch.zeros(())):
            raise WrongAnswer(f"w never moved from 0 (expected {want.item():.4f}).",
                              "Reset the gradient after the update, not between backward() and the update.")
        require_close(value, want, "the fitted slope w", inputs=f"with {n} points, {steps} steps, lr = {lr}")
    return "the loop uses a fresh gradient each step and lands where plain gradient descent does."


def _fit(xs: torch.Tensor, ys: torch.Tensor, steps: int, lr: float, zero: bool) -> torch.Tensor:
    w = torch.zeros((), requires_grad=True)
    for _ in range(steps):
        ((w * xs - ys) ** 2).mean().backward()
        with torch.no_grad():
            w -= lr * w.grad
        if zero:
            w.grad.zero_()
    return w.detach()
