"""Lesson 05's checks: right answers pass for any seed, typical mistakes fail with their hint."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from check_helpers import verdict as run

SEEDS = (0, 1, 7, 123)
NONE = {"x": False, "idx": True, "scale": True, "weight": False, "tokens": True, "logits": False, "labels": True}



def ce_grad(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    one_hot = F.one_hot(labels, num_classes=logits.shape[1]).to(logits.dtype)
    return (torch.softmax(logits, dim=1) - one_hot) / logits.shape[0]


def ce_grad_by_index(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    grad = torch.softmax(logits, dim=1)
    grad[torch.arange(len(labels)), labels] -= 1
    return grad / len(labels)


def gather_grad_loop(src: torch.Tensor, index: torch.Tensor, grad_out: torch.Tensor) -> torch.Tensor:
    grad = torch.zeros_like(src)
    for i in range(index.shape[0]):
        for k in range(index.shape[1]):
            grad[i, index[i, k]] += grad_out[i, k]
    return grad


@pytest.mark.parametrize("seed", SEEDS)
def test_right_answers_pass_for_any_seed(seed: int) -> None:
    assert run("05.1", seed, grad_is_none=NONE)
    assert run("05.2", seed, index_sum_grad=lambda n, idx: torch.bincount(idx, minlength=n).float())
    assert run("05.2", seed, index_sum_grad=lambda n, idx: torch.zeros(n).index_add_(0, idx, torch.ones(len(idx))))
    assert run("05.3", seed, cross_entropy_grad=ce_grad)
    assert run("05.3", seed, cross_entropy_grad=ce_grad_by_index)
    assert run("05.4", seed, gather_grad=lambda s, i, g: torch.zeros_like(s).scatter_add_(1, i, g))
    assert run("05.4", seed, gather_grad=gather_grad_loop)


@pytest.mark.parametrize("key, hint", [("idx", "integer index never gets a gradient"), ("scale", "it is data"),
                                       ("labels", "integer indices into the classes"), ("weight", "nn.Parameter")])
def test_each_wrong_none_prediction_gets_its_hint(key: str, hint: str) -> None:
    result = run("05.1", grad_is_none={**NONE, key: not NONE[key]})
    assert result.status == "failed" and hint in result.hint


@pytest.mark.parametrize("answer, hint", [
    (lambda n, idx: torch.zeros(n).index_fill_(0, idx, 1.0), "repeated indices accumulate"),
    (lambda n, idx: torch.bincount(idx).float(), "minlength"),
    (lambda n, idx: torch.ones(len(idx)), "counts how often j appears"),
    (lambda n, idx: torch.ones(len(idx) + 1), "shape of x, not of idx"),
])
def test_index_sum_grad_mistakes(answer, hint: str) -> None:
    result = run("05.2", index_sum_grad=answer)
    assert result.status == "failed" and hint in result.hint


def test_index_sum_grad_hard_coded_for_the_example_fails() -> None:
    assert run("05.2", index_sum_grad=lambda n, idx: torch.tensor([1.0, 0.0, 3.0, 0.0, 1.0])).status == "failed"


@pytest.mark.parametrize("answer, hint", [
    (lambda l, y: ce_grad(l, y) * l.shape[0], "forgot to divide by the batch size"),
    (lambda l, y: -ce_grad(l, y), "sign is flipped"),
    (lambda l, y: (torch.softmax(l, 1) - y[:, None].float()) / l.shape[0], "labels as float values"),
    (lambda l, y: (torch.softmax(l, 0) - F.one_hot(y, l.shape[1]).float()) / l.shape[0], "dim=1"),
    (lambda l, y: (l - F.one_hot(y, l.shape[1]).float()) / l.shape[0], "softmax first"),
    (lambda l, y: torch.softmax(l, 1) / l.shape[0], "subtract the one-hot"),
    (lambda l, y: (torch.softmax(l, 1) - F.one_hot(y).float()) / l.shape[0], "num_classes"),
])
def test_cross_entropy_grad_mistakes(answer, hint: str) -> None:
    result = run("05.3", cross_entropy_grad=answer)
    assert result.status == "failed" and hint in result.hint


def test_cross_entropy_grad_via_autograd_is_refused() -> None:
    def via_autograd(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        logits.requires_grad_()
        F.cross_entropy(logits, labels).backward()
        return logits.grad

    result = run("05.3", cross_entropy_grad=via_autograd)
    assert result.status == "failed" and "closed form" in result.hint


def test_cross_entropy_grad_hard_coded_fails() -> None:
    fixed = ce_grad(torch.randn(4, 3), torch.tensor([0, 2, 1, 2]))
    assert run("05.3", cross_entropy_grad=lambda l, y: fixed).status == "failed"


@pytest.mark.parametrize("answer, hint", [
    (lambda s, i, g: torch.zeros_like(s).scatter_(1, i, g), "repeats must add up"),
    (lambda s, i, g: torch.zeros_like(s).scatter_add_(1, i, torch.ones_like(g)), "its own upstream gradient"),
    (lambda s, i, g: torch.zeros_like(s), "start from zeros"),
])
def test_gather_grad_mistakes(answer, hint: str) -> None:
    result = run("05.4", gather_grad=answer)
    assert result.status == "failed" and hint in result.hint


def test_gather_grad_hard_coded_fails() -> None:
    example = torch.tensor([[2.0, 0, 0, 0], [0, 1, 0, 1], [0, 0, 2, 0]])
    assert run("05.4", gather_grad=lambda s, i, g: example).status == "failed"


# right answers, differently written: run under odd kernel states by tests/test_check_states.py
import numpy as np  # noqa: E402


def _index_sum_loop(n: int, idx: torch.Tensor) -> torch.Tensor:
    out = torch.zeros(n)
    for i in idx.tolist():
        out[i] += 1
    return out


def _gather_grad_onehot(src: torch.Tensor, index: torch.Tensor, grad_out: torch.Tensor) -> torch.Tensor:
    onehot = F.one_hot(index, num_classes=src.shape[1]).to(grad_out.dtype)  # rows x picks x cols
    return (onehot * grad_out.unsqueeze(-1)).sum(dim=1)


def _ce_grad_scatter(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    target = torch.zeros_like(logits).scatter_(1, labels.unsqueeze(1), 1.0)
    return (logits.softmax(-1) - target) / len(logits)


RIGHT_ANSWERS = {
    "05.1": [dict(grad_is_none=NONE), dict(grad_is_none=dict(reversed(NONE.items()))),
             dict(grad_is_none={k: torch.tensor(v) for k, v in NONE.items()}), dict(grad_is_none={k: np.bool_(v) for k, v in NONE.items()})],
    "05.2": [dict(index_sum_grad=lambda n, idx: torch.bincount(idx, minlength=n).float()),
             dict(index_sum_grad=lambda n, idx: torch.zeros(n).index_add_(0, idx, torch.ones(len(idx)))),
             dict(index_sum_grad=_index_sum_loop),
             dict(index_sum_grad=lambda n, idx: (idx.unsqueeze(1) == torch.arange(n)).sum(0).float())],
    "05.3": [dict(cross_entropy_grad=ce_grad), dict(cross_entropy_grad=ce_grad_by_index), dict(cross_entropy_grad=_ce_grad_scatter),
             dict(cross_entropy_grad=lambda lg, lb: (torch.exp(lg - lg.logsumexp(1, keepdim=True)) - F.one_hot(lb, lg.shape[1])) / lg.shape[0])],
    "05.4": [dict(gather_grad=lambda s, i, g: torch.zeros_like(s).scatter_add_(1, i, g)), dict(gather_grad=gather_grad_loop),
             dict(gather_grad=_gather_grad_onehot), dict(gather_grad=lambda s, i, g: torch.zeros_like(s).index_put_(
                 (torch.arange(i.shape[0]).unsqueeze(1).expand_as(i), i), g, accumulate=True))],
}
