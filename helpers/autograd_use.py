"""Whether learner code ran autograd: for exercises whose contract is 'in closed form, without backward()'.

The watch wraps the entry points of a backward pass (torch.autograd.backward, which Tensor.backward calls,
torch.autograd.grad, and torch.func's transforms) for the length of one call and puts them back after.
It sees learner code that runs in this process only.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Callable, Iterator

import torch
import torch.func

_WATCHED = [(torch.autograd, "backward"), (torch.autograd, "grad"), (torch.func, "grad"), (torch.func, "vjp"),
            (torch.func, "jacrev"), (torch.func, "grad_and_value")]


@contextmanager
def watch_autograd() -> Iterator[list[str]]:
    """Inside the block, every call of a backward entry point is recorded by name in the yielded list."""
    used: list[str] = []
    saved = [(owner, name, getattr(owner, name)) for owner, name in _WATCHED]

    def spy(label: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            used.append(label)
            return real(*args, **kwargs)
        return wrapper

    try:
        for owner, name, real in saved:
            setattr(owner, name, spy(f"{owner.__name__}.{name}", real))
        yield used
    finally:
        for owner, name, real in saved:
            setattr(owner, name, real)
