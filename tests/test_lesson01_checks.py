"""Lesson 01's checks: right answers pass for several seeds; typical wrong answers get their hint."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from check_helpers import verdict as check

SEEDS = [0, 1, 7, 123]
DTYPES = dict(float16=True, bfloat16=True, float32=True, float64=True, complex64=True,
              int64=False, int32=False, uint8=False, bool=False)


def make_weight(rows: int, cols: int) -> torch.Tensor:
    return (torch.randn(rows, cols) * 0.01).requires_grad_()


def freeze_first_layer(model: nn.Sequential) -> None:
    model[0].requires_grad_(False)


def count_trainable(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)



@pytest.mark.parametrize("seed", SEEDS)
def test_right_answers_pass_for_any_seed(seed: int) -> None:
    assert check("01.1", seed, make_weight=make_weight)
    assert check("01.2", seed, can_require_grad=DTYPES, raises_at="creation")
    assert check("01.3", seed, freeze_first_layer=freeze_first_layer)
    assert check("01.4", seed, count_trainable=count_trainable)


@pytest.mark.parametrize("wrong, hint", [
    (lambda r, c: torch.randn(r, c, requires_grad=True) * 0.01, "non-leaf"),
    (lambda r, c: torch.randn(r, c) * 0.01, "False by default"),
    (lambda r, c: torch.zeros(r, c, dtype=torch.long), "Integer and bool tensors can never require grad"),
    (lambda r, c: torch.randn(r, c, requires_grad=True), "Scale"),
    (lambda r, c: make_weight(c, r), "rows first"),
    (lambda r, c: torch.zeros(r, c, requires_grad=True), "random"),
])
def test_make_weight_mistakes_get_their_hint(wrong, hint: str) -> None:
    result = check("01.1", make_weight=wrong)
    assert result.status == "failed" and hint in result.hint


def test_hard_coded_weight_fails_on_other_shapes() -> None:
    assert check("01.1", make_weight=lambda r, c: make_weight(3, 2)).status == "failed"


def test_each_wrong_dtype_gets_its_own_hint() -> None:
    result = check("01.2", can_require_grad={**DTYPES, "int64": True, "complex64": False}, raises_at="creation")
    assert result.status == "failed" and "2 of 9 wrong" in result.message
    assert "Wirtinger" in result.hint and "every integer dtype" in result.hint


@pytest.mark.parametrize("when, hint", [("backward", "never created"), ("first operation", "very line")])
def test_error_timing_mistakes(when: str, hint: str) -> None:
    result = check("01.2", can_require_grad=DTYPES, raises_at=when)
    assert result.status == "failed" and hint in result.hint


def test_dtype_dict_with_missing_key_or_blank() -> None:
    assert "no entry for 'bool'" in check("01.2", can_require_grad={k: v for k, v in DTYPES.items() if k != "bool"},
                                          raises_at="creation").message
    assert "still `...`" in check("01.2", can_require_grad={**DTYPES, "int32": ...}, raises_at="creation").message


def _set_attribute(model: nn.Sequential) -> None:
    model[0].requires_grad = False


def _weight_only(model: nn.Sequential) -> None:
    model[0].weight.requires_grad_(False)


@pytest.mark.parametrize("wrong, hint", [
    (_set_attribute, "only adds a new attribute"),
    (_weight_only, "weight and bias"),
    (lambda m: m.requires_grad_(False), "keep requires_grad=True"),
    (lambda m: m[-1].requires_grad_(False), "model[-1] is the last one"),
    (lambda m: None, "set requires_grad to False"),
])
def test_freeze_mistakes_get_their_hint(wrong, hint: str) -> None:
    result = check("01.3", freeze_first_layer=wrong)
    assert result.status == "failed" and hint in result.hint


@pytest.mark.parametrize("wrong, hint", [
    (lambda m: sum(p.numel() for p in m.parameters()), "frozen parameters too"),
    (lambda m: sum(1 for p in m.parameters() if p.requires_grad), "p.numel()"),
])
def test_count_mistakes_get_their_hint(wrong, hint: str) -> None:
    result = check("01.4", count_trainable=wrong)
    assert result.status == "failed" and hint in result.hint


def test_hard_coded_count_fails() -> None:
    assert check("01.4", count_trainable=lambda m: 37).status == "failed"
    assert check("01.4", count_trainable=lambda m: float(count_trainable(m))).status == "failed"


def test_half_answered_dtype_exercise_says_which_part_is_left() -> None:
    result = check("01.2", can_require_grad=DTYPES, raises_at=...)
    assert result.status == "failed" and "raises_at is still" in result.message


# right answers, differently written: run under odd kernel states by tests/test_check_states.py
import numpy as np  # noqa: E402


def _make_weight_param(rows: int, cols: int) -> torch.Tensor:
    return nn.Parameter(0.01 * torch.randn(rows, cols))


def _make_weight_flag(rows: int, cols: int) -> torch.Tensor:
    w = torch.randn(rows, cols) / 100
    w.requires_grad = True
    return w


def _make_weight_normal(rows: int, cols: int) -> torch.Tensor:
    return torch.empty(rows, cols).normal_(0.0, 0.01).requires_grad_(True)


def _freeze_loop(model: nn.Sequential) -> None:
    for p in model[0].parameters():
        p.requires_grad = False


def _freeze_named(model: nn.Sequential) -> None:
    for name, p in model.named_parameters():
        if name.startswith("0."):
            p.requires_grad_(False)


def _freeze_children(model: nn.Sequential) -> None:
    first = next(iter(model.children()))
    for p in first.parameters():
        p.requires_grad_(False)


RIGHT_ANSWERS = {
    "01.1": [dict(make_weight=make_weight), dict(make_weight=_make_weight_param), dict(make_weight=_make_weight_flag),
             dict(make_weight=_make_weight_normal)],
    "01.2": [dict(can_require_grad=DTYPES, raises_at="creation"),
             dict(can_require_grad=dict(reversed(list(DTYPES.items()))), raises_at="creation"),
             dict(can_require_grad={k: torch.tensor(v) for k, v in DTYPES.items()}, raises_at="creation"),
             dict(can_require_grad={k: np.bool_(v) for k, v in DTYPES.items()}, raises_at="creation")],
    "01.3": [dict(freeze_first_layer=freeze_first_layer), dict(freeze_first_layer=_freeze_loop),
             dict(freeze_first_layer=_freeze_named), dict(freeze_first_layer=_freeze_children)],
    "01.4": [dict(count_trainable=count_trainable),
             dict(count_trainable=lambda m: sum(p.numel() * p.requires_grad for p in m.parameters())),
             dict(count_trainable=lambda m: np.sum([p.numel() for p in m.parameters() if p.requires_grad], dtype=np.int64)),
             dict(count_trainable=lambda m: torch.tensor([p.numel() for p in m.parameters() if p.requires_grad] + [0]).sum())],
}
