"""Lesson 10's checks: right answers pass for any seed, typical mistakes fail with the hint aimed at them."""
from __future__ import annotations

from typing import Any

import pytest
import torch

from check_helpers import SEEDS, assert_fails, verdict
from helpers.quantization import fake_quantize as reference_fake_quantize
from helpers.quantization import ste_round


def reference_quantize_activation(h: torch.Tensor, bits: int, max_value: float) -> torch.Tensor:
    """A right answer, kept in the tests (not in helpers/, which ships to learners)."""
    scale = max_value / (2**bits - 1)
    inside = h.clamp(0.0, max_value)  # clamp's gradient is 1 inside the range, 0 outside
    return scale * ste_round(inside / scale)


# 10.1 fake_quantize --------------------------------------------------------------------------------

def _scale(w: torch.Tensor, bits: int, unsigned: bool = False) -> torch.Tensor:
    return w.detach().abs().max() / (2**bits - 1 if unsigned else 2 ** (bits - 1) - 1)


def builtin_fake_quantize(w: torch.Tensor, bits: int) -> torch.Tensor:
    return torch.fake_quantize_per_tensor_affine(w, _scale(w, bits).item(), 0, -(2 ** (bits - 1)), 2 ** (bits - 1) - 1)


def scale_not_detached(w: torch.Tensor, bits: int) -> torch.Tensor:
    scale = w.abs().max() / (2 ** (bits - 1) - 1)
    return scale * ste_round(w / scale)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("answer", [reference_fake_quantize, builtin_fake_quantize], ids=["ours", "builtin"])
def test_10_1_right_answers_pass(seed: int, answer: Any) -> None:
    assert verdict("10.1", seed, fake_quantize=answer)


@pytest.mark.parametrize("answer, hint_part", [
    (lambda w, b: reference_fake_quantize(w, b, torch.round), "did the rounding stay on the gradient path?"),
    (lambda w, b: ste_round(w / _scale(w, b)), "dequantize"),
    (lambda w, b: _scale(w, b, unsigned=True) * ste_round(w / _scale(w, b, unsigned=True)), "2**(bits-1) - 1"),
    (lambda w, b: _scale(w, b) * (w / _scale(w, b) + (torch.floor(w / _scale(w, b)) - w / _scale(w, b)).detach()),
     "Round to the nearest integer code"),
    (scale_not_detached, "detach it"),
    (lambda w, b: w, "2**(bits-1) - 1"),
    (lambda w, b: (reference_fake_quantize(w, b) * 2) - reference_fake_quantize(w, b).detach(), "pass the upstream gradient"),
], ids=["no-ste", "codes", "unsigned-scale", "floor", "scale-not-detached", "identity", "doubled-gradient"])
def test_10_1_wrong_answers_get_their_hint(answer: Any, hint_part: str) -> None:
    assert_fails("10.1", hint_part, fake_quantize=answer)


def test_10_1_hard_coded_bit_width_fails() -> None:
    assert verdict("10.1", fake_quantize=lambda w, bits: reference_fake_quantize(w, 4)).status == "failed"


# 10.2 quantize_activation --------------------------------------------------------------------------

def round_then_clip(h: torch.Tensor, bits: int, max_value: float) -> torch.Tensor:
    step = max_value / (2**bits - 1)
    return step * ste_round(h / step).clamp(0, 2**bits - 1)  # PyTorch's convention at the edges


def builtin_activation(h: torch.Tensor, bits: int, max_value: float) -> torch.Tensor:
    return torch.fake_quantize_per_tensor_affine(h, max_value / (2**bits - 1), 0, 0, 2**bits - 1)


@pytest.mark.parametrize("seed", SEEDS[:2])
@pytest.mark.parametrize("answer", [reference_quantize_activation, round_then_clip, builtin_activation],
                         ids=["clip-round", "round-clip", "builtin"])
def test_10_2_right_answers_pass_and_report_the_training(seed: int, answer: Any) -> None:
    result = verdict("10.2", seed, quantize_activation=answer)
    assert result and "the loop learns" in result.message and "stalls at" in result.message


def _step(bits: int, max_value: float) -> float:
    return max_value / (2**bits - 1)


@pytest.mark.parametrize("answer, hint_part", [
    (lambda h, b, m: _step(b, m) * torch.round(h.clamp(0, m) / _step(b, m)), "did the rounding stay on the gradient path?"),
    (lambda h, b, m: _step(b, m) * ste_round(h / _step(b, m)), "clipped to the nearest end"),
    (lambda h, b, m: h + (reference_quantize_activation(h, b, m) - h).detach(), "A clipped STE"),
    (lambda h, b, m: (m / 2**b) * ste_round(h.clamp(0, m) / (m / 2**b)), "max_value / (2**bits - 1)"),
], ids=["no-ste", "no-clamp", "unclipped-ste", "wrong-step"])
def test_10_2_wrong_answers_get_their_hint(answer: Any, hint_part: str) -> None:
    assert_fails("10.2", hint_part, quantize_activation=answer)


def test_10_2_hard_coded_range_fails() -> None:
    answer = lambda h, bits, max_value: reference_quantize_activation(h, 4, 2.0)  # noqa: E731
    assert verdict("10.2", quantize_activation=answer).status == "failed"


# 10.3 soft_bucketize -------------------------------------------------------------------------------

def soft_bucketize(x: torch.Tensor, edges: torch.Tensor, sharpness: float) -> torch.Tensor:
    return torch.sigmoid(sharpness * (x.unsqueeze(-1) - edges)).sum(dim=-1)


def looped_bucketize(x: torch.Tensor, edges: torch.Tensor, sharpness: float) -> torch.Tensor:
    return sum(torch.sigmoid(sharpness * (x - e)) for e in edges)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("answer", [soft_bucketize, looped_bucketize], ids=["broadcast", "loop"])
def test_10_3_right_answers_pass(seed: int, answer: Any) -> None:
    assert verdict("10.3", seed, soft_bucketize=answer)


@pytest.mark.parametrize("answer, hint_part", [
    (lambda x, e, k: torch.bucketize(x, e).float(), "add up sigmoids"),
    (lambda x, e, k: soft_bucketize(x.detach(), e, k), "add up sigmoids"),
    (lambda x, e, k: -soft_bucketize(x, e, k), "a negative index"),
    (lambda x, e, k: soft_bucketize(x, e, 1.0), "sum over the edges"),
    (lambda x, e, k: torch.sigmoid(k * (x.unsqueeze(-1) - e)).mean(dim=-1), "sum over the edges"),
    (lambda x, e, k: soft_bucketize(x, e, k).flatten(), "same shape as x"),
], ids=["hard", "detached", "negative", "ignores-sharpness", "mean", "flattened"])
def test_10_3_wrong_answers_get_their_hint(answer: Any, hint_part: str) -> None:
    assert_fails("10.3", hint_part, soft_bucketize=answer)


def test_10_3_hard_coded_edges_fail() -> None:
    fixed = torch.tensor([0.0, 0.5, 1.0])
    assert verdict("10.3", soft_bucketize=lambda x, e, k: soft_bucketize(x, fixed, k)).status == "failed"


# right answers, differently written: run under odd kernel states by tests/test_check_states.py
def _fake_quantize_detach(w: torch.Tensor, bits: int) -> torch.Tensor:
    scale = w.abs().max().detach() / (2 ** (bits - 1) - 1)
    q = torch.round(w / scale) * scale
    return w + (q - w).detach()


def _fake_quantize_item(w: torch.Tensor, bits: int) -> torch.Tensor:
    scale = w.abs().max().item() / (2 ** (bits - 1) - 1)
    return scale * ste_round(w / scale)


def _activation_where(h: torch.Tensor, bits: int, max_value: float) -> torch.Tensor:
    scale = max_value / (2**bits - 1)
    clipped = torch.clamp(h, 0, max_value)
    return clipped + (torch.round(clipped / scale) * scale - clipped).detach()


RIGHT_ANSWERS = {
    "10.1": [dict(fake_quantize=reference_fake_quantize), dict(fake_quantize=builtin_fake_quantize),
             dict(fake_quantize=_fake_quantize_detach), dict(fake_quantize=_fake_quantize_item)],
    "10.2": [dict(quantize_activation=reference_quantize_activation), dict(quantize_activation=round_then_clip),
             dict(quantize_activation=builtin_activation), dict(quantize_activation=_activation_where)],
    "10.3": [dict(soft_bucketize=soft_bucketize), dict(soft_bucketize=looped_bucketize),
             dict(soft_bucketize=lambda x, e, k: torch.sigmoid(k * (x[..., None] - e)).sum(-1)),
             dict(soft_bucketize=lambda x, e, k: torch.special.expit(k * (x.unsqueeze(-1) - e)).sum(-1))],
}
