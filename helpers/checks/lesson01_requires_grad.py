"""Lesson 01: who may require grad, how to set the flag, and how to freeze parameters."""
from __future__ import annotations

from typing import Any

import torch
from torch import nn

from helpers.checking import NotAnswered, WrongAnswer, call_learner, exercise, is_unanswered
from helpers.guards import as_count, require_tensor
from helpers.predictions import judge_predictions

NOT_LEAF_HINT = ("Multiplying a tensor that already requires grad (randn(..., requires_grad=True) * 0.01) makes a new, "
                 "non-leaf tensor with a grad_fn. Scale first, then switch the flag on the result: (...).requires_grad_().")


def seed_from(gen: torch.Generator) -> int:
    return int(torch.randint(0, 2**31 - 1, (1,), generator=gen))


@exercise("01.1", "make_weight: a small random leaf weight that requires grad")
def make_weight_rule(make_weight: Any, gen: torch.Generator) -> str:
    shapes = [(3, 2), (1, 1)] + [tuple(int(v) for v in torch.randint(1, 7, (2,), generator=gen)) for _ in range(3)]
    for rows, cols in shapes:
        torch.manual_seed(seed_from(gen))
        w = require_tensor(call_learner(make_weight, rows, cols, name="make_weight"), f"make_weight({rows}, {cols})")
        call = f"make_weight({rows}, {cols})"
        if not (w.is_floating_point() or w.is_complex()):
            raise WrongAnswer(f"{call} has dtype {w.dtype}.",
                              "Integer and bool tensors can never require grad (PyTorch refuses the flag at creation): "
                              "start from a floating-point tensor such as torch.randn(rows, cols).")
        if w.is_complex():
            raise WrongAnswer(f"{call} is complex ({w.dtype}).", "Use a real floating-point tensor: torch.randn gives float32.")
        if tuple(w.shape) != (rows, cols):
            raise WrongAnswer(f"{call} has shape {tuple(w.shape)}, expected {(rows, cols)}.",
                              "Build it from the arguments: rows first, then cols.")
        if not w.requires_grad:
            raise WrongAnswer(f"{call}.requires_grad is False.",
                              "The flag is False by default: pass requires_grad=True to the factory or call .requires_grad_() on the result.")
        if not w.is_leaf:
            raise WrongAnswer(f"{call} is not a leaf: its grad_fn is {type(w.grad_fn).__name__}.", NOT_LEAF_HINT)
        biggest = w.detach().abs().max().item()
        if biggest > 0.1:
            raise WrongAnswer(f"{call} holds a value of size {biggest:.3g}; a small weight stays well below 0.1.",
                              "Scale the standard normal sample by 0.01 before switching the flag on.")
        if w.numel() > 1 and torch.all(w.detach() == w.detach().flatten()[0]):
            raise WrongAnswer(f"every entry of {call} is {w.flatten()[0].item():.3g}.", "Draw the values at random with torch.randn.")
    _judge_spread(make_weight, gen)
    return "a float leaf that requires grad, with the right shape, scale and spread, for every size tried."


def _judge_spread(make_weight: Any, gen: torch.Generator) -> None:
    """The contract's distribution, over 10,000 draws: 0.01 * standard normal, fresh on every call."""
    torch.manual_seed(seed_from(gen))
    big = require_tensor(call_learner(make_weight, 100, 100, name="make_weight"), "make_weight(100, 100)")
    again = require_tensor(call_learner(make_weight, 100, 100, name="make_weight"), "make_weight(100, 100)")
    values = big.detach().double().flatten()
    mean, std = values.mean().item(), values.std().item()
    if abs(mean) > 0.0008:  # 8 standard errors of the mean of 10,000 draws
        hint = ("torch.rand draws from [0, 1): every value is positive. Use torch.randn, the standard normal, centred on 0."
                if values.min() >= 0 else "Scale a standard normal sample, torch.randn(rows, cols) * 0.01, with nothing added.")
        raise WrongAnswer(f"over the 10,000 entries of make_weight(100, 100) the mean is {mean:.3g}, expected about 0.", hint)
    if not 0.008 < std < 0.012:
        raise WrongAnswer(f"the entries of make_weight(100, 100) have standard deviation {std:.3g}, expected 0.01.",
                          "Multiply the standard normal sample by 0.01 exactly: that makes its standard deviation 0.01.")
    if torch.equal(big.detach(), again.detach()):
        raise WrongAnswer("two calls of make_weight(100, 100) gave the same weight.",
                          "Don't seed the random generator inside the function: every layer needs weights of its own.")


DTYPES = ("float16", "bfloat16", "float32", "float64", "complex64", "int64", "int32", "uint8", "bool")
_INT_HINT = ("an integer can't move by a tiny step, so no derivative is defined; PyTorch refuses requires_grad=True on "
             "every integer dtype with 'Only Tensors of floating point and complex dtype can require gradients'.")
DTYPE_HINTS = {
    "float16": "every floating-point dtype may require grad, half precision included.",
    "bfloat16": "bfloat16 is a floating-point dtype (a float32 with a shorter mantissa), so it may require grad.",
    "float32": "float32 is PyTorch's default dtype for parameters; it may require grad.",
    "float64": "float64 is floating point, so it may require grad.",
    "complex64": "complex tensors may require grad too (PyTorch uses Wirtinger calculus for them).",
    "int64": _INT_HINT, "int32": _INT_HINT, "uint8": _INT_HINT,
    "bool": "bool tensors are treated like integers here: True/False can't change by a tiny amount, so they can't require grad.",
}
RAISE_HINTS = {
    "first operation": "Earlier than that: torch.tensor([1, 2], requires_grad=True) raises RuntimeError on the very line that creates it.",
    "backward": "Much earlier: the tensor is never created. torch.tensor([1, 2], requires_grad=True) raises RuntimeError at once.",
}


def _may_require_grad(dtype_name: str) -> bool:
    try:
        torch.zeros(1, dtype=getattr(torch, dtype_name), requires_grad=True)
    except RuntimeError:
        return False
    return True


@exercise("01.2", "which dtypes may require grad, and when the error comes")
def dtypes_rule(can_require_grad: Any, raises_at: Any, gen: torch.Generator) -> str:
    truth = {name: _may_require_grad(name) for name in DTYPES}  # PyTorch itself is the oracle
    if is_unanswered(can_require_grad) or is_unanswered(raises_at):
        left = "can_require_grad" if is_unanswered(can_require_grad) else "raises_at"
        raise WrongAnswer(f"{left} is still `...`.", "Answer both parts before checking.")
    judge_predictions(can_require_grad, truth, DTYPE_HINTS, "can_require_grad")
    if raises_at not in ("creation", "first operation", "backward"):
        raise WrongAnswer(f"raises_at should be 'creation', 'first operation' or 'backward', not {raises_at!r}.",
                          "Pick one of the three strings exactly as written.")
    if raises_at != "creation":
        raise WrongAnswer(f"the error does not wait until {raises_at}.", RAISE_HINTS[raises_at])
    return "only floating-point and complex dtypes may require grad, and an integer one fails at creation."


def small_mlp(sizes: list[int], gen: torch.Generator, bias: bool = True) -> nn.Sequential:
    """A small MLP whose initial weights come from the check's generator."""
    torch.manual_seed(seed_from(gen))
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
        layers += [nn.Linear(a, b, bias=bias or i > 0)] + ([nn.Tanh()] if i < len(sizes) - 2 else [])
    return nn.Sequential(*layers)


def _state(model: nn.Module) -> dict[str, bool]:
    return {n: p.requires_grad for n, p in model.named_parameters()}


@exercise("01.3", "freeze_first_layer: stop training model[0]")
def freeze_rule(freeze_first_layer: Any, gen: torch.Generator) -> str:
    for sizes, bias in [([3, 4, 2], True), ([5, 8, 8, 1], True), ([2, 6, 3], False)]:
        sizes = [s + int(torch.randint(0, 3, (1,), generator=gen)) for s in sizes]
        model = small_mlp(sizes, gen, bias)
        call_learner(freeze_first_layer, model, name="freeze_first_layer", none_ok=True)
        state, first = _state(model), [n for n, _ in model[0].named_parameters(prefix="0")]
        still = [n for n in first if state[n]]
        frozen_later = [n for n in state if n not in first and not state[n]]
        if still and not any(not state[n] for n in first):
            if model[0].__dict__.get("requires_grad") is False:
                raise WrongAnswer("model[0].requires_grad = False changed no parameter: all of model[0]'s parameters still require grad.",
                                  "On a module that line only adds a new attribute. Call the method model[0].requires_grad_(False), "
                                  "or set p.requires_grad = False for each p in model[0].parameters().")
            if frozen_later:
                raise WrongAnswer(f"you froze {', '.join(frozen_later)} but not {', '.join(first)}.",
                                  "The first layer of an nn.Sequential is model[0]; model[-1] is the last one.")
            raise WrongAnswer(f"after your function, {', '.join(still)} still require grad.",
                              "no_grad() or detach() don't change a parameter's flag: set requires_grad to False on model[0]'s parameters.")
        if still:
            raise WrongAnswer(f"{', '.join(still)} still requires grad; the rest of model[0] is frozen.",
                              "A Linear layer has two parameters, weight and bias: loop over model[0].parameters(), or use model[0].requires_grad_(False).")
        if frozen_later:
            raise WrongAnswer(f"you also froze {', '.join(frozen_later)}; only model[0] should stop training.",
                              "Touch only the first layer's parameters: the others must keep requires_grad=True so they still learn.")
        # the proof: backward() leaves model[0] without gradients, so an optimizer step (which skips them) can't move it
        model(torch.randn(4, sizes[0], generator=gen)).pow(2).sum().backward()
        if any(p.grad is not None for p in model[0].parameters()):
            raise WrongAnswer("model[0] still received gradients in backward().", "Freeze it by its flags, not by copying or replacing the layer.")
    return "model[0] is frozen and the other layers still train, on every model tried."


@exercise("01.4", "count_trainable: how many numbers the optimizer will train")
def count_rule(count_trainable: Any, gen: torch.Generator) -> str:
    for case in range(4):
        sizes = [int(v) for v in torch.randint(1, 6, (int(torch.randint(2, 5, (1,), generator=gen)),), generator=gen)]
        model = small_mlp(sizes, gen)
        params = list(model.parameters())
        frozen = {0: [], 1: params}.get(case, [p for p in params if torch.rand(1, generator=gen) < 0.5])
        if case == 2 and not frozen:
            frozen = params[:1]
        for p in frozen:
            p.requires_grad_(False)
        returned = call_learner(count_trainable, model, name="count_trainable")
        got = as_count(returned)  # a NumPy or tensor integer is a count too
        if got is None:
            got = returned
            raise WrongAnswer(f"count_trainable returned {type(got).__name__} {got!r}, not an int.",
                              "Return a plain int: sum(...) of ints is an int.")
        want = sum(p.numel() for p in params if p.requires_grad)
        if got != want:
            layers = " -> ".join(map(str, sizes))
            hint = {sum(p.numel() for p in params): "you counted frozen parameters too: keep only those with requires_grad True.",
                    sum(p.requires_grad for p in params): "you counted parameter tensors; count the numbers inside them with p.numel().",
                    len(params): "you counted parameter tensors; count the numbers inside them with p.numel()."}.get(got, "")
            raise WrongAnswer(f"for an MLP {layers} with {len(frozen)} of {len(params)} parameter tensors frozen, "
                              f"you counted {got}, expected {want}.", hint)
    return "right for models with none, some and all parameters frozen."
