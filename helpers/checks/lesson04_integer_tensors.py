"""Lesson 04: integer tensors — who may require grad, who has a grad_fn, complex gradients."""
from __future__ import annotations

from typing import Any, Callable

import torch

from helpers.autograd_use import watch_autograd
from helpers.checking import NotAnswered, WrongAnswer, call_learner, exercise, is_unanswered
from helpers.guards import backward_through, no_graph_hint, require_bool, require_close, require_tensor
from helpers.predictions import judge_predictions


def _tensors_0401() -> dict[str, torch.Tensor]:
    """The tensors of exercise 04.1, built exactly as the question shows them."""
    w = torch.tensor([0.2, 0.9, 1.6], requires_grad=True)
    b = w.long()
    return {"w": w, "a": w * 3, "b": b, "c": w.argmax(), "d": (w >= 0.5).float(), "e": torch.round(w), "f": b * w}


_HINTS_0401 = {
    "w": "w is a leaf created with requires_grad=True: it requires grad, but leaves have grad_fn None.",
    "a": "an operation with at least one input that requires grad is recorded (MulBackward0).",
    "b": "a cast to an integer dtype cuts the graph: .long() gives no grad_fn and cannot require grad.",
    "c": "argmax returns int64 indices, and integers cannot require grad.",
    "d": "a comparison is not differentiable, so nothing is recorded; .float() afterwards does not reconnect it.",
    "e": "round stays in the graph (RoundBackward0): its gradient is zero, but the graph is not cut.",
    "f": "b is cut off from w, but w itself requires grad, so b * w is recorded (MulBackward0).",
}


@exercise("04.1", "predict requires_grad and grad_fn")
def predict_flags(requires_grad: Any, has_grad_fn: Any, gen: torch.Generator) -> str:
    tensors = _tensors_0401()
    if is_unanswered(requires_grad):
        raise WrongAnswer("requires_grad is not answered yet.", "Fill in both dicts before checking.")
    judge_predictions(requires_grad, {k: t.requires_grad for k, t in tensors.items()}, _HINTS_0401, "requires_grad")
    if is_unanswered(has_grad_fn):
        raise WrongAnswer("your requires_grad predictions are all right; has_grad_fn is not answered yet.",
                          "Fill in has_grad_fn too.")
    judge_predictions(has_grad_fn, {k: t.grad_fn is not None for k, t in tensors.items()}, _HINTS_0401, "has_grad_fn")
    return "all 14 predictions match PyTorch."


def _raises(make: Callable[[], Any]) -> bool:
    try:
        make()
    except RuntimeError:
        return True
    return False


_SNIPPETS_0402: dict[str, Callable[[], Any]] = {
    "a": lambda: torch.tensor([1, 2], requires_grad=True),
    "b": lambda: torch.tensor([1.0, 2.0], requires_grad=True),
    "c": lambda: torch.arange(3).requires_grad_(),
    "d": lambda: torch.arange(3).grad,
    "e": lambda: torch.tensor([1 + 2j], requires_grad=True),
    "f": lambda: torch.arange(3.0, requires_grad=True).long().sum().backward(),
}
_HINTS_0402 = {
    "a": "[1, 2] makes an int64 tensor, and torch.tensor checks requires_grad at creation.",
    "b": "float32 tensors may require grad.",
    "c": "requires_grad_() on an integer tensor raises too (with slightly different wording).",
    "d": "reading .grad of an integer tensor gives None; it does not raise.",
    "e": "complex tensors may require grad.",
    "f": ".long() cut the graph, so the sum has no grad_fn and backward() has nothing to run.",
}


@exercise("04.2", "which lines raise?")
def predict_raises(raises: Any, gen: torch.Generator) -> str:
    truth = {key: _raises(make) for key, make in _SNIPPETS_0402.items()}
    judge_predictions(raises, truth, _HINTS_0402, "raises")
    return "all six predictions match PyTorch."


def _masked_mean_cases(gen: torch.Generator) -> list[tuple[torch.Tensor, float]]:
    """Inputs for 04.3; each has at least one entry above its threshold."""
    cases = [(torch.tensor([0.2, 0.9, 1.6, -0.4]), 0.5), (torch.tensor([3.0, -1.0]), 0.0)]
    for shape in [(7,), (3, 4), (2, 2, 3)]:
        x, k = torch.randn(shape, generator=gen), shape[0] // 2  # threshold halfway between two sorted values,
        low, high = x.flatten().sort().values[k: k + 2].tolist()  # so `>` and `>=` choose the same entries
        cases.append((x, (low + high) / 2))
    return cases


@exercise("04.3", "masked_mean(x, threshold)")
def masked_mean_rule(masked_mean: Any, gen: torch.Generator) -> str:
    for x, threshold in _masked_mean_cases(gen):
        mask = x > threshold
        inputs = f"for x of shape {tuple(x.shape)} and threshold {threshold:.4g}"
        leaf = x.clone().requires_grad_()
        out = require_tensor(call_learner(masked_mean, leaf, threshold, name="masked_mean"), f"masked_mean(x, t) {inputs}")
        try:
            require_close(out, x[mask].mean(), "masked_mean(x, threshold)", inputs=inputs)
        except WrongAnswer as wrong:
            if out.numel() == 1 and abs(out.item() - (x * mask).mean().item()) < 1e-5:
                wrong.hint = "divide by the number of chosen entries, not by the number of all entries."
            elif out.numel() == 1 and abs(out.item() - mask.float().mean().item()) < 1e-5:
                wrong.hint = "that is the fraction of entries above the threshold; average the chosen values of x."
            raise
        if not out.requires_grad:
            raise WrongAnswer(f"the value is right {inputs}, but the result has no grad_fn: no gradient can reach x.",
                              no_graph_hint("use the comparison only to choose entries (x[mask], or x * mask.float()); "
                                            "the values themselves must come from x, not from a cast or a comparison."))
        g = backward_through(out, leaf, "masked_mean")
        expected = mask.float() / mask.sum()
        require_close(torch.zeros_like(leaf) if g is None else g, expected, "the gradient your masked_mean leaves on x", inputs=inputs,
                      zero_hint="the gradient is all zeros: are the values coming from a rounding or a detached tensor?")
    return "right value and right gradient (1/count on the chosen entries, 0 elsewhere) for every input tried."


def _loss_0404(z: torch.Tensor) -> torch.Tensor:
    return (z.abs() ** 2 + 3 * z.imag).sum()


@exercise("04.4", "complex_grad(z)")
def complex_grad_rule(complex_grad: Any, gen: torch.Generator) -> str:
    cases = [torch.tensor([1 + 2j, 3 - 1j])]
    for shape, dtype in [((5,), torch.complex64), ((2, 3), torch.complex128), ((), torch.complex64)]:
        cases.append(torch.randn(shape, dtype=dtype, generator=gen))
    for z in cases:
        leaf = z.clone().requires_grad_()
        _loss_0404(leaf).backward()
        expected = leaf.grad
        with watch_autograd() as used:
            got = call_learner(complex_grad, z.clone(), name="complex_grad")
        if used:
            raise WrongAnswer(f"complex_grad ran autograd ({used[0]}): the exercise asks for the gradient in closed form, without backward().",
                              "Write z = a + ib, take dL/da and dL/db by hand, and return dL/da + 1j * dL/db.")
        values = ", ".join(f"{complex(v):.3g}" for v in z.reshape(-1)[:3])
        inputs = f"for z = [{values}{', ...' if z.numel() > 3 else ''}] ({z.dtype}, shape {tuple(z.shape)})"
        try:
            require_close(got, expected, "your gradient", inputs=inputs)
        except WrongAnswer as wrong:
            near = lambda other: isinstance(got, torch.Tensor) and got.shape == z.shape and torch.allclose(
                got.detach().to(z.dtype), other, atol=1e-4, rtol=1e-4)
            if near(expected.conj()):
                wrong.hint = "that is the conjugate: PyTorch stores dL/da + i*dL/db for z = a + ib."
            elif near(2 * z):
                wrong.hint = "2z is the gradient of |z|**2 alone; the 3*z.imag term adds to the imaginary part."
            elif near(2 * z - 3j):
                wrong.hint = "check the sign of the imaginary part: 3*b grows as b grows, so dL/db = +3."
            elif not wrong.hint:
                wrong.hint = "write z = a + ib, take dL/da and dL/db, and return dL/da + 1j * dL/db."
            raise
    return "your gradient matches autograd on complex64 and complex128 inputs of several shapes."
