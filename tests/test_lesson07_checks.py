"""Lesson 07's checks: right answers pass for any seed, typical mistakes fail with the hint aimed at them."""
from __future__ import annotations

import math
from typing import Any

import pytest
import torch

from check_helpers import SEEDS, assert_fails, verdict
from helpers.quantization import soft_round as reference_soft_round

# 07.1 ste_round ------------------------------------------------------------------------------------

def ste_round(x: torch.Tensor) -> torch.Tensor:
    return x + (torch.round(x) - x).detach()


class RoundSTE(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:
        return torch.round(x)

    @staticmethod
    def backward(ctx: Any, grad_output: torch.Tensor) -> torch.Tensor:
        return grad_output


class RoundOnes(RoundSTE):
    @staticmethod
    def backward(ctx: Any, grad_output: torch.Tensor) -> torch.Tensor:
        return torch.ones_like(grad_output)  # forgets the upstream gradient


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("answer", [ste_round, RoundSTE.apply], ids=["detach", "function"])
def test_07_1_right_answers_pass(seed: int, answer: Any) -> None:
    assert verdict("07.1", seed, ste_round=answer)


@pytest.mark.parametrize("answer, hint_part", [
    (torch.round, "did the rounding stay on the gradient path?"),
    (lambda x: x + (torch.round(x) - x), "did the rounding stay on the gradient path?"),
    (lambda x: x + (torch.round(x) - torch.round(x).detach()), "the detach goes on the difference"),
    (lambda x: (x + (torch.round(x) - x)).detach(), "Something detached all of it"),
    (lambda x: x + (torch.floor(x + 0.5) - x).detach(), "even neighbour"),
    (lambda x: x + (torch.floor(x) - x).detach(), "check which rounding function"),
    (RoundOnes.apply, "pass grad_output through unchanged"),
    (lambda x: (x + (torch.round(x) - x).detach()).long(), "cuts the graph"),
    (lambda x: ste_round(x).float(), "Keep x's dtype"),
], ids=["round", "no-detach", "detach-on-wrong-term", "all-detached", "half-up", "floor", "ones", "long", "float32"])
def test_07_1_wrong_answers_get_their_hint(answer: Any, hint_part: str) -> None:
    assert_fails("07.1", hint_part, ste_round=answer)


def test_07_1_hard_coded_answer_fails() -> None:
    fixed = torch.tensor([-2.0, -2.0, 0.0, 0.0, 2.0, 2.0, -1.0, 0.0, 1.0, 4.0])
    assert verdict("07.1", ste_round=lambda x: x + (fixed - x).detach()).status == "failed"


def test_07_1_forgotten_return_is_named() -> None:
    result = verdict("07.1", ste_round=lambda x: None)
    assert result.status == "failed" and "return" in result.hint


# 07.2 ClippedSTE -----------------------------------------------------------------------------------

class ClippedSTE(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, lo: float, hi: float) -> torch.Tensor:
        ctx.save_for_backward(x)
        ctx.lo, ctx.hi = lo, hi
        return torch.round(x).clamp(lo, hi)

    @staticmethod
    def backward(ctx: Any, grad_output: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        (x,) = ctx.saved_tensors
        return grad_output * ((x >= ctx.lo) & (x <= ctx.hi)), None, None


class ClampThenRound(ClippedSTE):
    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, lo: float, hi: float) -> torch.Tensor:
        ctx.save_for_backward(x)
        ctx.lo, ctx.hi = lo, hi
        return torch.round(x.clamp(lo, hi))  # same values for integer edges


class NoClamp(ClippedSTE):
    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, lo: float, hi: float) -> torch.Tensor:
        ctx.save_for_backward(x)
        ctx.lo, ctx.hi = lo, hi
        return torch.round(x)


def _clipped(backward: Any) -> type:
    return type("ClippedSTE", (ClippedSTE,), {"backward": staticmethod(backward)})


def _x(ctx: Any) -> torch.Tensor:
    return ctx.saved_tensors[0]


def _mask(ctx: Any, strict: bool = False, rounded: bool = False) -> torch.Tensor:
    (x,) = ctx.saved_tensors
    x = torch.round(x) if rounded else x
    return ((x > ctx.lo) & (x < ctx.hi)) if strict else ((x >= ctx.lo) & (x <= ctx.hi))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("answer", [ClippedSTE, ClampThenRound], ids=["round-clamp", "clamp-round"])
def test_07_2_right_answers_pass(seed: int, answer: type) -> None:
    assert verdict("07.2", seed, ClippedSTE=answer)


@pytest.mark.parametrize("answer, hint_part", [
    (_clipped(lambda ctx, g: (g, None, None)), "outside, the forward is flat"),
    (_clipped(lambda ctx, g: g * _mask(ctx)), "one gradient per input of forward"),
    (_clipped(lambda ctx, g: (g * _mask(ctx, strict=True), None, None)), "count as inside"),
    (_clipped(lambda ctx, g: (g * _mask(ctx, rounded=True), None, None)), "not at round(x)"),
    (_clipped(lambda ctx, g: (_mask(ctx).to(g.dtype), None, None)), "multiply it by the mask"),
    (_clipped(lambda ctx, g: (torch.zeros_like(g), None, None)), "all zeros"),
    (NoClamp, "then clamps"),
    (lambda x, lo, hi: x, "pass the class itself"),
], ids=["unclipped", "one-return", "strict-edges", "mask-on-round", "ones-mask", "zeros", "no-clamp", "not-a-class"])
def test_07_2_wrong_answers_get_their_hint(answer: Any, hint_part: str) -> None:
    assert_fails("07.2", hint_part, ClippedSTE=answer)


def test_07_2_hard_coded_range_fails() -> None:
    fixed = _clipped(lambda ctx, g: (g * ((_x(ctx) >= -2) & (_x(ctx) <= 2)), None, None))
    assert verdict("07.2", ClippedSTE=fixed).status == "failed"



# 07.3 soft_round -----------------------------------------------------------------------------------

def sigmoid_soft_round(x: torch.Tensor, sharpness: float) -> torch.Tensor:
    low, high = 1 / (1 + math.exp(sharpness / 2)), 1 / (1 + math.exp(-sharpness / 2))
    base = torch.floor(x)
    return base + (torch.sigmoid(sharpness * (x - base - 0.5)) - low) / (high - low)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("answer", [reference_soft_round, sigmoid_soft_round], ids=["tanh", "sigmoid"])
def test_07_3_right_answers_pass(seed: int, answer: Any) -> None:
    assert verdict("07.3", seed, soft_round=answer)


@pytest.mark.parametrize("answer, hint_part", [
    (lambda x, k: torch.floor(x) + torch.sigmoid(k * (x - torch.floor(x) - 0.5)), "must be continuous"),
    (lambda x, k: x + (torch.round(x) - x).detach(), "no STE on the gradient path"),
    (lambda x, k: torch.round(x), "must be continuous"),
    (lambda x, k: torch.sigmoid(k * (x - 0.5)), "nonzero slope"),
    (lambda x, k: x - torch.sin(2 * math.pi * x) / (2 * math.pi), "hug the staircase"),
    (lambda x, k: reference_soft_round(x, 100 * k), "nonzero slope"),
    (lambda x, k: reference_soft_round(x, 50.0) + 0.002 * x, "visibly soft"),  # ignores the knob, tilted to avoid flat spots
], ids=["unscaled-sigmoid", "ste", "round", "sigmoid-01", "no-knob", "too-sharp", "no-knob-tilted"])
def test_07_3_wrong_answers_get_their_hint(answer: Any, hint_part: str) -> None:
    assert_fails("07.3", hint_part, soft_round=answer)


def test_07_3_hard_coded_answer_fails() -> None:
    assert verdict("07.3", soft_round=lambda x, k: torch.zeros_like(x) + 0 * x).status == "failed"


# 07.4 stochastic_round_ste ------------------------------------------------------------------------

def stochastic_round_ste(x: torch.Tensor) -> torch.Tensor:
    return x + (torch.floor(x + torch.rand_like(x)) - x).detach()


def bernoulli_round_ste(x: torch.Tensor) -> torch.Tensor:
    base = torch.floor(x)
    return x + (base + torch.bernoulli(x - base) - x).detach()


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("answer", [stochastic_round_ste, bernoulli_round_ste], ids=["floor-noise", "bernoulli"])
def test_07_4_right_answers_pass(seed: int, answer: Any) -> None:
    assert verdict("07.4", seed, stochastic_round_ste=answer)


@pytest.mark.parametrize("answer, hint_part", [
    (ste_round, "not random"),
    (lambda x: torch.floor(x + torch.rand_like(x)), "did the rounding stay on the gradient path?"),
    (lambda x: x + (torch.round(x + torch.rand_like(x)) - x).detach(), "one of the two integers"),
    (lambda x: x + (torch.floor(x) + (torch.rand_like(x) < 0.5).float() * (torch.ceil(x) - torch.floor(x)) - x).detach(),
     "probability equal to the fractional part"),
], ids=["deterministic", "no-ste", "round-plus-noise", "coin-flip"])
def test_07_4_wrong_answers_get_their_hint(answer: Any, hint_part: str) -> None:
    assert_fails("07.4", hint_part, stochastic_round_ste=answer)


def test_07_4_verdict_does_not_depend_on_the_notebooks_random_state() -> None:
    torch.manual_seed(1)
    first = verdict("07.4", stochastic_round_ste=stochastic_round_ste).text()
    torch.manual_seed(2)
    assert verdict("07.4", stochastic_round_ste=stochastic_round_ste).text() == first


def test_07_4_hard_coded_answer_fails() -> None:
    assert verdict("07.4", stochastic_round_ste=lambda x: x + (torch.ones_like(x) - x).detach()).status == "failed"


# right answers, differently written: run under odd kernel states by tests/test_check_states.py
class _ClippedSaveMask(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, lo: float, hi: float) -> torch.Tensor:
        ctx.save_for_backward((x >= lo) & (x <= hi))
        return torch.clamp(torch.round(x), min=lo, max=hi)

    @staticmethod
    def backward(ctx: Any, grad_output: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        (inside,) = ctx.saved_tensors
        return torch.where(inside, grad_output, torch.zeros_like(grad_output)), None, None


class _ClippedDetach(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, lo: float, hi: float) -> torch.Tensor:
        ctx.save_for_backward(x)
        ctx.bounds = (lo, hi)
        return x.round().clamp(lo, hi)

    @staticmethod
    def backward(ctx: Any, g: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        (x,) = ctx.saved_tensors
        lo, hi = ctx.bounds
        return g * (x >= lo).to(g.dtype) * (x <= hi).to(g.dtype), None, None


def _stochastic_where(x: torch.Tensor) -> torch.Tensor:
    frac = x - torch.floor(x)
    up = torch.rand_like(x) < frac
    return x + (torch.where(up, torch.ceil(x), torch.floor(x)) - x).detach()


def _stochastic_uniform(x: torch.Tensor) -> torch.Tensor:
    noise = torch.empty_like(x).uniform_(0, 1)
    return x - x.detach() + torch.floor(x.detach() + noise)


RIGHT_ANSWERS = {
    "07.1": [dict(ste_round=ste_round), dict(ste_round=RoundSTE.apply), dict(ste_round=lambda x: x - x.detach() + x.detach().round()),
             dict(ste_round=lambda x: (torch.round(x) - x).detach() + x)],
    "07.2": [dict(ClippedSTE=ClippedSTE), dict(ClippedSTE=ClampThenRound), dict(ClippedSTE=_ClippedSaveMask),
             dict(ClippedSTE=_ClippedDetach)],
    "07.3": [dict(soft_round=reference_soft_round), dict(soft_round=sigmoid_soft_round),
             dict(soft_round=lambda x, k: torch.round(x).detach() * 0 + reference_soft_round(x, k)),
             dict(soft_round=lambda x, k: sigmoid_soft_round(x.double(), k).to(x.dtype))],
    "07.4": [dict(stochastic_round_ste=stochastic_round_ste), dict(stochastic_round_ste=bernoulli_round_ste),
             dict(stochastic_round_ste=_stochastic_where), dict(stochastic_round_ste=_stochastic_uniform)],
}
