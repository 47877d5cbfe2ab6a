"""Whether a prediction check may show PyTorch's own values (from the second wrong attempt, or on request)."""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterator

_REVEAL: ContextVar[bool] = ContextVar("reveal_predictions", default=False)


def reveal_allowed() -> bool:
    """True when the current check may print PyTorch's values for the wrong predictions."""
    return _REVEAL.get()


@contextmanager
def revealing(allowed: bool) -> Iterator[None]:
    """Allow (or not) the reveal for the checks run inside the block."""
    token = _REVEAL.set(allowed)
    try:
        yield
    finally:
        _REVEAL.reset(token)
