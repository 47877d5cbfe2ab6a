"""The shared answer guards: plain tensors only, concrete mismatch messages."""
from __future__ import annotations

import pytest
import torch

from helpers.checking import NotAnswered, WrongAnswer
from helpers.guards import require_bool, require_close, require_tensor


class AlwaysClose(torch.Tensor):
    """A learner's trick: a subclass that answers True to every comparison."""

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
        if func in (torch.allclose, torch.equal):
            return True
        return super().__torch_function__(func, types, args, kwargs or {})


def test_tensor_subclass_cannot_fake_a_match() -> None:
    fake = torch.zeros(3).as_subclass(AlwaysClose)
    assert torch.allclose(fake, torch.ones(3))  # the trick works on torch itself...
    with pytest.raises(WrongAnswer, match="Tensor subclass"):
        require_close(fake, torch.ones(3), "your gradient")  # ...but not on the guard


def test_parameter_is_accepted() -> None:
    assert require_tensor(torch.nn.Parameter(torch.ones(2)), "w") is not None


def test_stub_is_not_answered() -> None:
    with pytest.raises(NotAnswered):
        require_tensor(..., "w")


def test_mismatch_names_the_first_wrong_index() -> None:
    with pytest.raises(WrongAnswer, match=r"at index \[1\] is 0, expected 2"):
        require_close(torch.tensor([1.0, 0.0]), torch.tensor([1.0, 2.0]), "x.grad")


def test_all_zero_gradient_gets_the_zero_hint() -> None:
    with pytest.raises(WrongAnswer) as caught:
        require_close(torch.zeros(2), torch.ones(2), "x.grad", zero_hint="rounding on the path?")
    assert caught.value.hint == "rounding on the path?"


def test_shape_mismatch_is_reported() -> None:
    with pytest.raises(WrongAnswer, match=r"has shape \(3,\), expected \(2,\)"):
        require_close(torch.zeros(3), torch.zeros(2), "x.grad")


def test_bool_must_be_a_bool() -> None:
    assert require_bool(torch.tensor(True), "flag") is True
    with pytest.raises(WrongAnswer):
        require_bool("yes", "flag")
