"""Lesson 02: how requires_grad spreads, and the ways to stop it (no_grad, detach, inference_mode)."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch
from torch import nn

from helpers.checking import WrongAnswer, call_learner, exercise, last_call_changes
from helpers.checks.lesson01_requires_grad import small_mlp
from helpers.predictions import judge_predictions
from helpers.guards import require_close, require_tensor


def _no_grad_mul(w: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return w * x


def _inference_add(w: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    with torch.inference_mode():
        return w + 1


# the expressions of exercise 02.1, each with the hint for a wrong prediction
EXPRESSIONS: dict[str, tuple[Callable[[torch.Tensor, torch.Tensor], torch.Tensor], str]] = {
    "x * 2": (lambda w, x: x * 2, "no input requires grad, so neither does the output."),
    "w * x": (lambda w, x: w * x, "one input that requires grad is enough: data times a parameter requires grad."),
    "(w * x).detach()": (lambda w, x: (w * x).detach(), "detach() returns a tensor cut off from the graph; it never requires grad."),
    "w.detach() * w": (lambda w, x: w.detach() * w, "the detached factor doesn't require grad, but the second factor w does, and one is enough."),
    "torch.zeros_like(w)": (lambda w, x: torch.zeros_like(w), "zeros_like copies shape and dtype, not the flag: factory functions give requires_grad=False unless you ask."),
    "w.clone()": (lambda w, x: w.clone(), "clone() is an operation like any other (CloneBackward0): its input requires grad, so its output does."),
    "w * x inside torch.no_grad()": (_no_grad_mul, "inside torch.no_grad() nothing is recorded: results don't require grad, whatever the inputs."),
    "w + 1 inside torch.inference_mode()": (_inference_add, "inference_mode() records nothing either (and its results are inference tensors)."),
}


@exercise("02.1", "predict which results require grad")
def predict_rule(requires_grad_of: Any, gen: torch.Generator) -> str:
    w, x = torch.randn(3, generator=gen).requires_grad_(), torch.randn(3, generator=gen)
    truth = {k: fn(w, x).requires_grad for k, (fn, _) in EXPRESSIONS.items()}  # PyTorch decides
    judge_predictions(requires_grad_of, truth, {k: h for k, (_, h) in EXPRESSIONS.items()}, "requires_grad_of")
    return "all eight predictions match PyTorch."


def _learner_numpy(fn: Any, t: torch.Tensor) -> Any:
    try:
        return call_learner(fn, t, name="snapshot")
    except WrongAnswer as wrong:
        if "numpy() on Tensor that requires grad" in wrong.message:
            raise WrongAnswer(wrong.message, "A tensor that requires grad refuses .numpy(): take .detach() first, "
                                             "so NumPy gets a plain tensor that shares the same numbers.") from None
        raise


@exercise("02.2", "snapshot: a NumPy copy that later updates don't change")
def snapshot_rule(snapshot: Any, gen: torch.Generator) -> str:
    cases = [("a tensor that requires grad", torch.randn(3, generator=gen).requires_grad_()),
             ("a plain tensor", torch.randn(2, 2, generator=gen)),
             ("a non-leaf result", torch.randn(4, generator=gen).requires_grad_() * 2),
             ("a float64 parameter", nn.Parameter(torch.randn(2, 3, generator=gen, dtype=torch.float64)))]
    for what, t in cases:
        got = _learner_numpy(snapshot, t)
        if not isinstance(got, np.ndarray):
            raise WrongAnswer(f"for {what} snapshot returned a {type(got).__name__}, not a NumPy array.",
                              "Finish with .numpy() (on a detached tensor) or np.array(...).")
        want = t.detach().numpy().copy()
        if got.dtype.kind not in "biuf":
            raise WrongAnswer(f"for {what} snapshot returned an array of dtype {got.dtype}, not numbers.",
                              "Convert the tensor itself, not its repr or a list of objects.")
        if got.shape != want.shape:
            raise WrongAnswer(f"for {what} of shape {tuple(t.shape)} your array has shape {got.shape}.",
                              "Return the tensor's own values, in its own shape.")
        if not np.allclose(got, want):
            raise WrongAnswer(f"for {what} your array holds {np.round(got, 3).tolist()}, expected {np.round(want, 3).tolist()}.",
                              "Return the tensor's own values, in its own shape.")
        if t.is_leaf:
            with torch.no_grad():
                t.add_(1.0)  # what an optimizer step does to a parameter
            if np.allclose(got, want + 1.0):
                raise WrongAnswer(f"for {what}, an in-place update of the tensor after the snapshot changed your array too.",
                                  "t.detach().numpy() shares memory with t: the array is a window onto the tensor's numbers. "
                                  "Copy them: .detach().clone().numpy() or .detach().numpy().copy().")
    return "a real copy, for tensors with and without requires_grad."


def _watch(model: nn.Module) -> list[bool]:
    """Record, on every forward call, whether autograd was recording."""
    seen: list[bool] = []
    model.register_forward_hook(lambda *_: seen.append(torch.is_grad_enabled()))
    return seen


@exercise("02.3", "predict: model outputs without building a graph")
def predict_model_rule(predict: Any, gen: torch.Generator) -> str:
    for sizes in ([3, 4, 2], [5, 8, 1], [2, 2, 2, 3]):
        model, x = small_mlp(sizes, gen), torch.randn(int(torch.randint(1, 5, (1,), generator=gen)), sizes[0], generator=gen)
        with torch.no_grad():
            want = model(x)
        seen = _watch(model)
        got = require_tensor(call_learner(predict, model, x, name="predict"), "predict(model, x)")
        if any(change.startswith("gradient recording") for change in last_call_changes()):  # call_learner undid it
            raise WrongAnswer("after predict returned, gradient recording was still switched off for the whole program.",
                              "torch.set_grad_enabled(False) stays off until switched back; `with torch.no_grad():` restores it for you.")
        require_close(got, want, "predict(model, x)",
                      inputs=f"for a {' -> '.join(map(str, sizes))} model")
        frozen = [n for n, p in model.named_parameters() if not p.requires_grad]
        if frozen:
            raise WrongAnswer(f"after predict, {', '.join(frozen)} no longer require grad.",
                              "Don't freeze the model to evaluate it (training would stop): switch off recording instead, with torch.no_grad().")
        if got.requires_grad:
            raise WrongAnswer(f"predict's output requires grad (grad_fn {type(got.grad_fn).__name__}): a graph was recorded.",
                              "Run the model inside `with torch.no_grad():` so nothing is recorded.")
        if any(seen):
            raise WrongAnswer("your output doesn't require grad, but the model ran with recording on and built a graph first.",
                              "detach() afterwards throws the graph away after paying for it; wrap the forward call in torch.no_grad().")
    return "the same numbers as the model, no graph recorded, parameters still trainable."


@exercise("02.4", "sgd_step: update parameters in place")
def sgd_rule(sgd_step: Any, gen: torch.Generator) -> str:
    for n_params, lr in ((2, 0.1), (3, 0.5), (4, 0.01)):
        params = [torch.randn(*torch.randint(1, 4, (int(torch.randint(1, 3, (1,), generator=gen)),), generator=gen).tolist(),
                              generator=gen).requires_grad_() for _ in range(n_params)]
        sum((p**2).sum() for p in params[:-1]).backward()  # the last parameter is unused: its .grad stays None
        before, grads = [p.detach().clone() for p in params], [None if p.grad is None else p.grad.clone() for p in params]
        try:
            call_learner(sgd_step, list(params), lr, name="sgd_step", none_ok=True)
        except WrongAnswer as wrong:
            if "leaf Variable that requires grad" in wrong.message:
                raise WrongAnswer(wrong.message, "PyTorch refuses to record an in-place change of a leaf that requires grad: "
                                                 "do the update inside `with torch.no_grad():`.") from None
            if "NoneType" in wrong.message:
                raise WrongAnswer(wrong.message, "A parameter that took no part in the loss has .grad None: skip it, as torch.optim does.") from None
            raise
        for i, (p, b, g) in enumerate(zip(params, before, grads)):
            if not (p.is_leaf and p.requires_grad):
                raise WrongAnswer(f"after sgd_step, parameter {i} is {'not a leaf' if not p.is_leaf else 'no longer requiring grad'}.",
                                  "Update the numbers in place (p -= lr * p.grad under torch.no_grad()); keep the parameter itself.")
            want = b if g is None else b - lr * g
            if g is not None and torch.allclose(p.detach(), b):
                raise WrongAnswer(f"parameter {i} did not change (lr = {lr}).",
                                  "`p = p - lr * p.grad` only rebinds the loop variable to a new tensor; the parameter is untouched. Update in place.")
            if g is not None and torch.allclose(p.detach(), b + lr * g):
                raise WrongAnswer(f"parameter {i} moved along its gradient.", "Gradient descent steps against the gradient: subtract lr * grad.")
            require_close(p.detach(), want, f"parameter {i} after the step", inputs=f"with lr = {lr}")
    return "every parameter moved by -lr * grad, in place; the unused one stayed put."
