"""The one place that tells a learner's slips apart, seen through check(): stub, forgotten return, own
exception, loop, interrupt, positional call, huge message, and the kernel's state after a function that
changes it."""
from __future__ import annotations

from typing import Any

import pytest
import torch

import helpers.checks  # noqa: F401  (registers every rule)
from helpers import check
from helpers.checking import MESSAGE_LIMIT, REGISTRY, limit_of, run_check
from helpers.learner_calls import STUB_MESSAGE
from helpers.torch_state import current


def ste(x: torch.Tensor) -> torch.Tensor:
    return x + (torch.round(x) - x).detach()


def test_the_exercise_builds_stub_is_not_answered() -> None:
    def stub(x: torch.Tensor) -> torch.Tensor:
        # YOUR CODE HERE
        raise NotImplementedError(STUB_MESSAGE)

    def bare(x: torch.Tensor) -> torch.Tensor:
        """A docstring, then the stub."""
        raise NotImplementedError

    assert check("07.1", ste_round=stub).status == "not_answered"
    assert check("07.1", ste_round=bare).status == "not_answered"


def test_a_notimplementederror_of_the_learners_own_is_reported() -> None:
    def partial(x: torch.Tensor) -> torch.Tensor:
        if x.dtype == torch.float64:
            raise NotImplementedError("float64 later")
        return ste(x)

    result = check("07.1", ste_round=partial)
    assert result.status == "failed" and "float64 later" in result.message and "branch" in result.hint


def test_forgotten_return_is_named_the_same_way_everywhere() -> None:
    def no_return(*args: Any) -> None:
        args[0] is None  # computes, but gives nothing back

    for exercise_id in ("04.3", "05.2", "07.1", "08.1", "09.1", "10.3"):
        name = REGISTRY[exercise_id].answer_names[0]
        result = check(exercise_id, **{name: no_return})
        assert result.status == "failed" and "did you forget `return`?" in result.message, result.text()


def test_returning_none_from_a_return_statement_gets_the_rules_hint() -> None:
    def grad_without_retain(w: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        h = torch.tanh(w * x)
        (h**2).sum().backward()
        return h.grad

    result = check("03.3", hidden_grad=grad_without_retain)
    assert result.status == "failed" and "retain_grad" in result.hint


def test_learners_exception_is_feedback() -> None:
    result = check("07.1", ste_round=lambda x: 1 / 0)
    assert result.status == "failed" and "ZeroDivisionError" in result.message


def test_a_loop_ends_in_a_verdict_that_says_so() -> None:
    def spin(x: torch.Tensor) -> torch.Tensor:
        while True:
            pass

    with limit_of(0.5):
        result = check("07.1", ste_round=spin)
    assert result.status == "failed"
    assert "ran for more than 0.5 s on an input of shape (10,): a loop that never ends?" in result.message


@pytest.mark.parametrize("exercise_id", sorted(REGISTRY))
def test_every_check_ends_a_looping_answer(exercise_id: str) -> None:
    def spin(*_: Any, **__: Any) -> Any:
        while True:
            pass

    names = REGISTRY[exercise_id].answer_names
    with limit_of(0.3):
        result = run_check(exercise_id, {n: spin for n in names}, seed=0)
    assert result.status == "failed", result.text()
    if "but it is a function" not in result.message:  # the answer is a function: the loop must be named
        assert "ran for more than 0.3 s" in result.message and "every loop needs" in result.hint, result.text()


def test_a_looping_autograd_function_ends_in_forward_and_in_backward() -> None:
    class LoopForward(torch.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: torch.Tensor, lo: float, hi: float) -> torch.Tensor:
            while True:
                pass

        @staticmethod
        def backward(ctx: Any, g: torch.Tensor) -> Any:
            return g, None, None

    class LoopBackward(torch.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: torch.Tensor, lo: float, hi: float) -> torch.Tensor:
            return torch.round(x).clamp(lo, hi)

        @staticmethod
        def backward(ctx: Any, g: torch.Tensor) -> Any:
            while True:
                pass

    with limit_of(0.3):
        forward = check("07.2", ClippedSTE=LoopForward)
        backward = check("07.2", ClippedSTE=LoopBackward)
    assert "LoopForward.apply ran for more than 0.3 s" in forward.message, forward.text()
    assert "the backward pass of LoopBackward.apply ran for more than 0.3 s" in backward.message, backward.text()


def test_interrupt_gives_an_interrupted_result() -> None:
    def interrupted(x: torch.Tensor) -> torch.Tensor:
        raise KeyboardInterrupt

    result = check("07.1", ste_round=interrupted)
    assert result.status == "interrupted" and "interrupted" in result.message


def test_positional_answer_is_accepted_when_unambiguous() -> None:
    assert check("07.1", ste)
    result = check("03.1", {"w": True}, {"w": None})
    assert result.status == "error" and "check('03.1', is_leaf=is_leaf, grad_fn_name=grad_fn_name)" in result.hint


def test_messages_are_capped() -> None:
    result = check("02.2", snapshot=lambda t: torch.zeros(10**6).numpy())
    assert result.status == "failed" and len(result.message) <= MESSAGE_LIMIT and len(result.hint) <= MESSAGE_LIMIT


def test_a_function_that_switches_grad_off_leaves_the_kernel_as_it_was() -> None:
    def switch_off(x: torch.Tensor) -> torch.Tensor:
        torch.set_grad_enabled(False)
        torch.set_default_dtype(torch.float64)
        return ste(x)

    before = current()
    result = check("07.1", ste_round=switch_off)
    assert current() == before
    assert result.status == "failed" and "set_grad_enabled" in result.hint
