"""Shared test fixtures: garbage answers every check must survive."""
from __future__ import annotations

import math
from typing import Any

import pytest
import torch


def _raises_value_error(*args: Any, **kwargs: Any) -> Any:
    raise ValueError("boom")


def _stub(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError


def _exits(*args: Any, **kwargs: Any) -> Any:
    raise SystemExit(1)


GARBAGE: dict[str, Any] = {
    "None": None,
    "Ellipsis": ...,
    "int": 3,
    "bool": True,
    "nan": math.nan,
    "string": "w",
    "list": [1.0, 2.0],
    "dict": {"a": 1},
    "empty tensor": torch.tensor([]),
    "nan tensor": torch.full((3,), math.nan),
    "int tensor": torch.arange(3),
    "object": object(),
    "function returning None": lambda *a, **k: None,
    "function returning a string": lambda *a, **k: "tensor",
    "function raising ValueError": _raises_value_error,
    "stub raising NotImplementedError": _stub,
    "function calling sys.exit": _exits,
}


@pytest.fixture(params=sorted(GARBAGE), ids=sorted(GARBAGE))
def garbage(request: pytest.FixtureRequest) -> Any:
    """One garbage answer at a time."""
    return GARBAGE[request.param]
