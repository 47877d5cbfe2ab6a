"""Shared answer guards for rules: each raises WrongAnswer with a message aimed at the mistake."""
from __future__ import annotations

from typing import Any

import torch

from helpers.checking import NotAnswered, WrongAnswer, is_unanswered


def require_tensor(value: Any, name: str) -> torch.Tensor:
    """The answer must be a tensor (a stub means 'not answered')."""
    if is_unanswered(value):
        raise NotAnswered()
    if not isinstance(value, torch.Tensor):
        raise WrongAnswer(f"{name} should be a torch.Tensor, but it is a {type(value).__name__}.",
                          "Build it with torch.tensor(...) or another torch function.")
    return value


def require_bool(value: Any, name: str) -> bool:
    """The answer must be True or False (not a tensor, not a string)."""
    if is_unanswered(value):
        raise NotAnswered()
    if isinstance(value, torch.Tensor) and value.numel() == 1 and value.dtype == torch.bool:
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
