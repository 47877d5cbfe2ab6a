"""Lesson 03b: vector-Jacobian products, torch.autograd.grad (second derivatives), and gradient hooks."""
from __future__ import annotations

from typing import Any, Callable

import torch
from torch import nn

from helpers.checking import WrongAnswer, call_learner, exercise
from helpers.guards import require_close, require_tensor
from helpers.predictions import judge_predictions


def _predicted_values() -> dict[str, Any]:
    """Run the code of exercise 03b.1 exactly as the exercise prints it: PyTorch is the oracle."""
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x ** 2
    try:
        y.backward()
        plain_raises = False
    except RuntimeError:
        plain_raises = True
    y.backward(gradient=torch.tensor([1.0, 10.0]))
    after_backward = x.grad[1].item()
    (g,) = torch.autograd.grad((x ** 3).sum(), x)
    model = nn.Linear(2, 1).eval()
    out = model(x.detach())
    return {"plain_backward_raises": plain_raises, "after_backward": after_backward, "g": g[1].item(),
            "after_grad": x.grad[1].item(), "eval_requires_grad": out.requires_grad}


PREDICTION_HINTS = {
    "plain_backward_raises": "y has two entries: backward() without a gradient works only for a single number.",
    "after_backward": "backward(gradient=v) gives v times dy/dx entry by entry here: 10 * 2 * x[1] = 40.",
    "g": "autograd.grad returns d(sum x^3)/dx = 3 x^2: at x[1] = 2 that is 12.",
    "after_grad": "autograd.grad returns its result and never touches x.grad: it stays 40.",
    "eval_requires_grad": "eval() changes how layers such as dropout behave, not autograd: the weights still require grad.",
}


@exercise("03b.1", "predict: backward(gradient=v), autograd.grad, eval()")
def predict_rule(predictions: Any, gen: torch.Generator) -> str:
    judge_predictions(predictions, _predicted_values(), PREDICTION_HINTS, "predictions")
    return "vector-Jacobian products, returned gradients and eval() as PyTorch has them."


def _functions(gen: torch.Generator) -> list[tuple[str, Callable[[torch.Tensor], torch.Tensor], int]]:
    """(description, f, input length); outputs and inputs differ in length so a transpose shows."""
    n = int(torch.randint(3, 6, (1,), generator=gen))
    W = torch.randn(n + 1, n, generator=gen)
    return [("f(x) = W @ x", lambda x: W @ x, n),
            ("f(x) = sin(x) * x.sum()", lambda x: x.sin() * x.sum(), 3),
            ("f(x) = (x ** 2).cumsum(0)[:2]", lambda x: (x ** 2).cumsum(0)[:2], 4)]


@exercise("03b.2", "jacobian: one vector-Jacobian product per output")
def jacobian_rule(jacobian: Any, gen: torch.Generator) -> str:
    for what, f, n in _functions(gen):
        x = torch.randn(n, generator=gen)
        want = torch.autograd.functional.jacobian(f, x)
        got = call_learner(jacobian, f, x.clone().requires_grad_(), name="jacobian")
        got = require_tensor(got, "the result of jacobian").detach()
        where = f"for {what} with x of length {n}"
        if got.shape == want.T.shape and got.shape != want.shape:
            raise WrongAnswer(f"{where} you returned shape {tuple(got.shape)}, expected {tuple(want.shape)} "
                              "(one row per output, one column per input).",
                              "Row i is x's gradient of y[i], from v = the i-th one-hot vector: stack the rows.")
        if got.shape == want.shape:
            if torch.allclose(got, want.cumsum(0), atol=1e-5) and not torch.allclose(want, want.cumsum(0)):
                raise WrongAnswer(f"{where} row i holds the sum of rows 0..i.",
                                  "backward() adds into x.grad: reset it between rows, or use torch.autograd.grad.")
            ones_grad = want.sum(0).expand_as(want)
            if torch.allclose(got, ones_grad, atol=1e-5) and not torch.allclose(want, ones_grad):
                raise WrongAnswer(f"{where} every row is the gradient of y.sum().",
                                  "A v of all ones gives the sum's gradient; v = one-hot(i) gives row i.")
        require_close(got, want, "jacobian(f, x)", inputs=where)
    return "the full Jacobian, one backward pass per output."


def _elementwise(gen: torch.Generator) -> list[tuple[str, Callable[[torch.Tensor], torch.Tensor]]]:
    a = 0.5 + float(torch.rand((), generator=gen))
    return [("sin(x)", torch.sin), ("x ** 3", lambda x: x ** 3), (f"tanh({a:.3g} * x)", lambda x: torch.tanh(a * x)),
            ("x * exp(x)", lambda x: x * x.exp()), ("3 * x + 1 (linear)", lambda x: 3 * x + 1)]


def _reference_second(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    x = x.clone().requires_grad_()
    (d1,) = torch.autograd.grad(f(x).sum(), x, create_graph=True)
    if not d1.requires_grad:  # f' does not depend on x at all: f'' is 0
        return d1.detach(), torch.zeros_like(x)
    (d2,) = torch.autograd.grad(d1.sum(), x)
    return d1.detach(), d2


@exercise("03b.3", "second_derivative: create_graph=True")
def second_rule(second_derivative: Any, gen: torch.Generator) -> str:
    x = torch.randn(5, generator=gen)
    for what, f in _elementwise(gen):
        d1, d2 = _reference_second(f, x)
        where = f"for f(x) = {what}"
        try:
            got = call_learner(second_derivative, f, x.clone().requires_grad_(), name="second_derivative")
        except WrongAnswer as wrong:
            if "does not require grad" in wrong.message and "linear" in what:
                raise WrongAnswer(f"{where}: {wrong.message}", "For a linear f the first derivative is a constant with "
                                  "no grad_fn: check d1.requires_grad and return zeros (f'' = 0) then.") from None
            if "does not require grad" in wrong.message:
                raise WrongAnswer(f"{where}: {wrong.message}", "The first derivative has no graph unless you ask "
                                  "for one: pass create_graph=True to the first torch.autograd.grad.") from None
            raise
        got = require_tensor(got, "the result of second_derivative").detach()
        if got.shape == d2.shape and torch.allclose(got, d1, atol=1e-5) and not torch.allclose(d1, d2, atol=1e-5):
            raise WrongAnswer(f"{where} you returned the first derivative f'(x).",
                              "Differentiate the first derivative again: torch.autograd.grad(d1.sum(), x).")
        if got.shape == d2.shape and torch.allclose(got, d1 + d2, atol=1e-5) and not torch.allclose(d1, 0 * d1):
            raise WrongAnswer(f"{where} you returned f'(x) + f''(x).",
                              "backward() added the second derivative to the first one already in x.grad: use "
                              "torch.autograd.grad, which returns instead of accumulating.")
        require_close(got, d2, "second_derivative(f, x)", inputs=where)
    return "second derivatives as autograd computes them, the linear case included."


@exercise("03b.4", "reverse_grad: a hook on one path only")
def reverse_rule(reverse_grad: Any, gen: torch.Generator) -> str:
    for shape in ((3,), (2, int(torch.randint(2, 5, (1,), generator=gen)))):
        lam = round(0.2 + 1.5 * float(torch.rand((), generator=gen)), 3)
        x = torch.randn(shape, generator=gen).requires_grad_()
        u, w = torch.randn(shape, generator=gen), torch.randn(shape, generator=gen)
        r = require_tensor(call_learner(reverse_grad, x, lam, name="reverse_grad"), "the result of reverse_grad")
        where = f"for x of shape {shape}, lam = {lam}"
        require_close(r, x.detach(), "reverse_grad(x, lam)", inputs=where)
        if not r.requires_grad:
            raise WrongAnswer(f"{where} the result does not require grad.", "Keep it on the graph: no detach of all of it.")
        (got,) = torch.autograd.grad((r * u).sum() + (x * w).sum(), x)
        if torch.allclose(got, -lam * (u + w), atol=1e-5):
            raise WrongAnswer(f"{where} the gradient of a second path from x, which does not go through "
                              "reverse_grad, was reversed too.",
                              "A hook on x changes every gradient that reaches x: hook a copy (x.clone()) instead.")
        if torch.allclose(got, u + w, atol=1e-5):
            raise WrongAnswer(f"{where} the gradient is not reversed.",
                              "Register a hook on the tensor you return, returning -lam * grad.")
        if torch.allclose(got, lam * u + w, atol=1e-5):
            raise WrongAnswer(f"{where} the gradient is scaled by lam but not reversed.", "The hook returns -lam * grad.")
        require_close(got, -lam * u + w, "x's gradient", inputs=f"{where}, with a second path from x")
    return "identity forward, -lam times the gradient backward, on this path only."
