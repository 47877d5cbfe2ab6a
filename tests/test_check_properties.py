"""Wrong answers that only a property over many draws (or a rule of the exercise text) catches, each with the
hint aimed at its own mistake; and the prediction checks' reveal on the second attempt."""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import helpers.checks  # noqa: F401  (registers every rule)
from check_helpers import assert_fails, verdict
from helpers import check
from helpers.checking import _wrong_attempts


def _seeded_weight(rows: int, cols: int) -> torch.Tensor:
    torch.manual_seed(0)  # the same weights for every layer
    return (torch.randn(rows, cols) * 0.01).requires_grad_()


def _shared_noise(x: torch.Tensor) -> torch.Tensor:
    return x + (torch.floor(x + torch.rand(())) - x).detach()


def _same_noise_every_call(x: torch.Tensor) -> torch.Tensor:
    noise = torch.rand(x.shape, generator=torch.Generator().manual_seed(0))
    return x + (torch.floor(x + noise) - x).detach()


def _complex_grad_by_backward(z: torch.Tensor) -> torch.Tensor:
    leaf = z.detach().clone().requires_grad_()
    (leaf.abs() ** 2 + 3 * leaf.imag).sum().backward()
    return leaf.grad


def _index_sum_by_autograd(n: int, idx: torch.Tensor) -> torch.Tensor:
    x = torch.zeros(n, requires_grad=True)
    return torch.autograd.grad(x[idx].sum(), x)[0]


def _finite_differences(fn: Any, x: torch.Tensor) -> torch.Tensor:
    h = 1e-6
    return (fn(x + h) - fn(x - h)) / (2 * h)


def _names_deduplicated_by_name(t: torch.Tensor) -> list[str]:
    names, todo = [], [t.grad_fn] if t.grad_fn is not None else []
    while todo:
        node = todo.pop()
        if type(node).__name__ not in names:
            names.append(type(node).__name__)
            todo.extend(f for f, _ in node.next_functions if f is not None)
    return names


def _fit_item(xs: torch.Tensor, ys: torch.Tensor, steps: int = 30, lr: float = 0.1) -> float:
    w = torch.zeros((), requires_grad=True)
    for _ in range(steps):
        ((w * xs - ys) ** 2).mean().backward()
        with torch.no_grad():
            w -= lr * w.grad
        w.grad.zero_()
    return w.item()


def _noise_per_row(logits: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    u = torch.rand(logits.shape[0], 1, generator=generator)
    return (logits - torch.log(-torch.log(u))).argmax(-1)


def _exp_bucketize(x: torch.Tensor, edges: torch.Tensor, k: float) -> torch.Tensor:
    e = torch.exp(k * (x.unsqueeze(-1) - edges))
    return (e / (1 + e)).sum(-1)


@pytest.mark.parametrize("exercise_id, answers, hint", [
    ("01.1", dict(make_weight=lambda r, c: (torch.rand(r, c) * 0.01).requires_grad_()), "every value is positive"),
    ("01.1", dict(make_weight=lambda r, c: (torch.randn(r, c) * 0.02).requires_grad_()), "standard deviation 0.01"),
    ("01.1", dict(make_weight=_seeded_weight), "Don't seed"),
    ("07.4", dict(stochastic_round_ste=_shared_noise), "one per element"),
    ("07.4", dict(stochastic_round_ste=_same_noise_every_call), "Don't seed a generator"),
    ("04.4", dict(complex_grad=_complex_grad_by_backward), "by hand"),
    ("05.2", dict(index_sum_grad=_index_sum_by_autograd), "torch.bincount"),
    ("08.2", dict(slopes=_finite_differences), "finite differences"),
    ("03.2", dict(grad_fn_names=_names_deduplicated_by_name), "by the node itself"),
    ("03.4", dict(fit_slope=_fit_item), ".item()"),
    ("09.2", dict(gumbel_max_sample=_noise_per_row), "one noise value per row"),
    ("10.3", dict(soft_bucketize=_exp_bucketize), "overflow"),
], ids=["uniform", "too-wide", "seeded", "shared-noise", "same-noise", "complex-backward", "index-autograd",
        "finite-differences", "dedupe-by-name", "item", "noise-per-row", "exp-overflow"])
def test_wrong_answer_fails_with_its_own_hint(exercise_id: str, answers: dict[str, Any], hint: str) -> None:
    assert_fails(exercise_id, hint, **answers)


def test_integer_like_counts_count() -> None:
    numel = lambda m: [p.numel() for p in m.parameters() if p.requires_grad]
    assert verdict("01.4", count_trainable=lambda m: np.int64(sum(numel(m))))
    assert verdict("01.4", count_trainable=lambda m: torch.tensor(sum(numel(m))))
    assert verdict("01.4", count_trainable=lambda m: float(sum(numel(m)))).status == "failed"
    assert verdict("01.4", count_trainable=lambda m: True).status == "failed"


def test_first_wrong_prediction_names_entries_second_reveals_values() -> None:
    _wrong_attempts.pop("02.1", None)
    answer = {"x * 2": True, "w * x": True, "(w * x).detach()": False, "w.detach() * w": True,
              "torch.zeros_like(w)": False, "w.clone()": True, "w * x inside torch.no_grad()": False,
              "w + 1 inside torch.inference_mode()": False}
    first = check("02.1", requires_grad_of=answer)
    assert first.status == "failed" and "requires_grad_of['x * 2'] (you said True)" in first.message
    assert "PyTorch says" not in first.message and "no input requires grad" in first.hint
    second = check("02.1", requires_grad_of=answer)
    assert "PyTorch says False" in second.message
    _wrong_attempts.pop("02.1", None)
    assert "PyTorch says False" in check("02.1", requires_grad_of=answer, reveal=True).message
    _wrong_attempts.pop("02.1", None)


def test_prediction_oracle_ignores_the_kernels_state() -> None:
    answer = {"a": 0.0, "b": 1.0, "c": 2.0, "d": 0.0, "e": 1.0}
    with torch.no_grad():
        assert verdict("06.1", grads=answer)
    torch.set_default_dtype(torch.float64)
    try:
        assert verdict("06.2", values={"a": 3, "b": 2, "c": 2, "d": -2, "e": 28, "f": -2})
    finally:
        torch.set_default_dtype(torch.float32)
