"""Lesson 04's checks: right answers pass for any seed, typical mistakes fail with their hint."""
from __future__ import annotations

import pytest
import torch

from check_helpers import verdict as run

SEEDS = (0, 1, 7, 123)
FLAGS = {"w": True, "a": True, "b": False, "c": False, "d": False, "e": True, "f": True}
GRAD_FNS = {"w": False, "a": True, "b": False, "c": False, "d": False, "e": True, "f": True}
RAISES = {"a": True, "b": False, "c": True, "d": False, "e": False, "f": True}



@pytest.mark.parametrize("seed", SEEDS)
def test_right_answers_pass_for_any_seed(seed: int) -> None:
    assert run("04.1", seed, requires_grad=FLAGS, has_grad_fn=GRAD_FNS)
    assert run("04.2", seed, raises=RAISES)
    assert run("04.3", seed, masked_mean=lambda x, t: x[x > t].mean())
    assert run("04.3", seed, masked_mean=lambda x, t: (x * (x >= t).float()).sum() / (x >= t).sum())
    assert run("04.4", seed, complex_grad=lambda z: 2 * z + 3j)


@pytest.mark.parametrize("key, hint", [("d", "comparison is not differentiable"), ("b", "cuts the graph"),
                                       ("e", "round stays in the graph"), ("f", "w itself requires grad")])
def test_each_wrong_flag_gets_its_own_hint(key: str, hint: str) -> None:
    result = run("04.1", requires_grad={**FLAGS, key: not FLAGS[key]}, has_grad_fn=GRAD_FNS)
    assert result.status == "failed" and hint in result.hint and f"['{key}']" in result.message


def test_leaf_has_no_grad_fn() -> None:
    result = run("04.1", requires_grad=FLAGS, has_grad_fn={**GRAD_FNS, "w": True})
    assert result.status == "failed" and "leaves have grad_fn None" in result.hint


def test_half_answered_prediction_is_a_failure_not_an_error() -> None:
    result = run("04.1", requires_grad=FLAGS, has_grad_fn=...)
    assert result.status == "failed" and "has_grad_fn is not answered" in result.message
    assert run("04.1", requires_grad={k: ... for k in FLAGS}, has_grad_fn=...).status == "not_answered"


@pytest.mark.parametrize("key, hint", [("a", "checks requires_grad at creation"), ("d", "does not raise"),
                                       ("e", "complex tensors may require grad"), ("f", "cut the graph")])
def test_each_wrong_raise_prediction_gets_its_hint(key: str, hint: str) -> None:
    result = run("04.2", raises={**RAISES, key: not RAISES[key]})
    assert result.status == "failed" and hint in result.hint


def test_raise_prediction_needs_booleans() -> None:
    assert run("04.2", raises={**RAISES, "a": "yes"}).status == "failed"


@pytest.mark.parametrize("answer, text", [
    (lambda x, t: (x * (x > t).float()).mean(), "not by the number of all entries"),
    (lambda x, t: (x > t).float().mean(), "fraction of entries"),
    (lambda x, t: x.detach()[x > t].mean(), "no gradient can reach x"),
    (lambda x, t: torch.tensor(x[x > t].mean().item()), "no gradient can reach x"),
])
def test_masked_mean_mistakes(answer, text: str) -> None:
    result = run("04.3", masked_mean=answer)
    assert result.status == "failed" and text in result.text()


def test_masked_mean_hard_coded_for_the_example_fails() -> None:
    assert run("04.3", masked_mean=lambda x, t: torch.tensor([0.2, 0.9, 1.6, -0.4], requires_grad=True)[1:3].mean()).status == "failed"


@pytest.mark.parametrize("answer, hint", [
    (lambda z: (2 * z + 3j).conj(), "conjugate"),
    (lambda z: 2 * z, "3*z.imag term"),
    (lambda z: 2 * z - 3j, "sign of the imaginary part"),
    (lambda z: z.real, "dL/da + 1j * dL/db"),
])
def test_complex_grad_mistakes(answer, hint: str) -> None:
    result = run("04.4", complex_grad=answer)
    assert result.status == "failed" and hint in result.hint


def test_complex_grad_hard_coded_for_the_example_fails() -> None:
    assert run("04.4", complex_grad=lambda z: torch.tensor([2 + 7j, 6 + 1j])).status == "failed"


# right answers, differently written: run under odd kernel states by tests/test_check_states.py
import numpy as np  # noqa: E402


def _masked_mean_where(x: torch.Tensor, t: float) -> torch.Tensor:
    mask = x > t
    return torch.where(mask, x, torch.zeros_like(x)).sum() / mask.sum()


def _complex_grad_parts(z: torch.Tensor) -> torch.Tensor:
    a, b = z.real, z.imag
    return (2 * a) + 1j * (2 * b + 3)


RIGHT_ANSWERS = {
    "04.1": [dict(requires_grad=FLAGS, has_grad_fn=GRAD_FNS), dict(requires_grad=dict(reversed(FLAGS.items())), has_grad_fn=GRAD_FNS),
             dict(requires_grad={k: torch.tensor(v) for k, v in FLAGS.items()}, has_grad_fn=GRAD_FNS),
             dict(requires_grad={k: np.bool_(v) for k, v in FLAGS.items()}, has_grad_fn={k: np.bool_(v) for k, v in GRAD_FNS.items()})],
    "04.2": [dict(raises=RAISES), dict(raises=dict(reversed(RAISES.items()))), dict(raises={k: torch.tensor(v) for k, v in RAISES.items()}),
             dict(raises={k: np.bool_(v) for k, v in RAISES.items()})],
    "04.3": [dict(masked_mean=lambda x, t: x[x > t].mean()),
             dict(masked_mean=lambda x, t: (x * (x >= t).float()).sum() / (x >= t).sum()),
             dict(masked_mean=_masked_mean_where), dict(masked_mean=lambda x, t: torch.masked_select(x, x > t).sum() / (x > t).sum())],
    "04.4": [dict(complex_grad=lambda z: 2 * z + 3j), dict(complex_grad=_complex_grad_parts),
             dict(complex_grad=lambda z: torch.complex(2 * z.real, 2 * z.imag + 3)), dict(complex_grad=lambda z: 2 * (z + 1.5j))],
}
