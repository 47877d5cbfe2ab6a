"""Lesson 09's checks: right answers pass for many seeds, typical mistakes fail with their hint."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from helpers.checking import run_check

SEEDS = [0, 1, 2, 3, 17, 123]


def failed(exercise_id: str, **answers: object) -> str:
    result = run_check(exercise_id, answers, seed=0)
    assert result.status == "failed", result.text()
    return result.text()


# 09.1 -----------------------------------------------------------------------------------------------

def sample_gumbel(shape: tuple[int, ...], generator: torch.Generator) -> torch.Tensor:
    u = torch.rand(shape, generator=generator)
    return -torch.log(-torch.log(u.clamp_min(1e-20)))


def sample_gumbel_exponential(shape: tuple[int, ...], generator: torch.Generator) -> torch.Tensor:
    return -torch.empty(shape).exponential_(generator=generator).log()


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("answer", [sample_gumbel, sample_gumbel_exponential], ids=lambda f: f.__name__)
def test_09_1_right_answers_pass(answer: object, seed: int) -> None:
    result = run_check("09.1", {"sample_gumbel": answer}, seed=seed)
    assert result.passed, result.text()


def test_09_1_typical_mistakes() -> None:
    assert "exponential distribution" in failed("09.1", sample_gumbel=lambda s, g: -torch.log(torch.rand(s, generator=g)))
    assert "negative of Gumbel" in failed("09.1", sample_gumbel=lambda s, g: torch.log(-torch.log(torch.rand(s, generator=g))))
    assert "generator=generator" in failed("09.1", sample_gumbel=lambda s, g: -torch.log(-torch.log(torch.rand(s))))
    assert "two logs" in failed("09.1", sample_gumbel=lambda s, g: torch.randn(s, generator=g))
    assert "shape" in failed("09.1", sample_gumbel=lambda s, g: sample_gumbel((7,), g))


# 09.2 -----------------------------------------------------------------------------------------------

def gumbel_max_sample(logits: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    return (logits + sample_gumbel(logits.shape, generator)).argmax(dim=-1)


@pytest.mark.parametrize("seed", SEEDS)
def test_09_2_right_answer_passes(seed: int) -> None:
    result = run_check("09.2", {"gumbel_max_sample": gumbel_max_sample}, seed=seed)
    assert result.passed, result.text()


def test_09_2_typical_mistakes() -> None:
    assert "without noise" in failed("09.2", gumbel_max_sample=lambda z, g: z.argmax(-1))
    noisy_probs = lambda z, g: (z.softmax(-1) + sample_gumbel(z.shape, g)).argmax(-1)  # noqa: E731
    assert "not to probabilities" in failed("09.2", gumbel_max_sample=noisy_probs)
    assert "global random stream" in failed("09.2", gumbel_max_sample=lambda z, g: (z - torch.rand(z.shape).log().neg().log()).argmax(-1))
    assert "shape" in failed("09.2", gumbel_max_sample=lambda z, g: (z + sample_gumbel(z.shape, g)).argmax(0))
    assert "int64" in failed("09.2", gumbel_max_sample=lambda z, g: gumbel_max_sample(z, g).float())
    one_noise = lambda z, g: (z + sample_gumbel(z.shape[-1:], g)).argmax(-1)  # noqa: E731  (same noise for every row)
    assert "came up in" in failed("09.2", gumbel_max_sample=one_noise)


# 09.3 -----------------------------------------------------------------------------------------------

def hard_gumbel_softmax(logits: torch.Tensor, gumbels: torch.Tensor, tau: float) -> torch.Tensor:
    y_soft = ((logits + gumbels) / tau).softmax(dim=-1)
    y_hard = F.one_hot(y_soft.argmax(dim=-1), y_soft.shape[-1]).to(y_soft.dtype)
    return y_hard - y_soft.detach() + y_soft


@pytest.mark.parametrize("seed", SEEDS)
def test_09_3_right_answer_passes(seed: int) -> None:
    result = run_check("09.3", {"hard_gumbel_softmax": hard_gumbel_softmax}, seed=seed)
    assert result.passed, result.text()


def test_09_3_typical_mistakes() -> None:
    def one_hot_only(z: torch.Tensor, g: torch.Tensor, tau: float) -> torch.Tensor:
        return F.one_hot(((z + g) / tau).argmax(-1), z.shape[-1]).float()

    def wrong_sign(z: torch.Tensor, g: torch.Tensor, tau: float) -> torch.Tensor:
        y_soft = ((z + g) / tau).softmax(-1)
        return F.one_hot(y_soft.argmax(-1), z.shape[-1]).float() + y_soft.detach() - y_soft

    def no_tau(z: torch.Tensor, g: torch.Tensor, tau: float) -> torch.Tensor:
        return hard_gumbel_softmax(z, g, 1.0)

    assert "does not require grad" in failed("09.3", hard_gumbel_softmax=one_hot_only)
    assert "exactly one-hot" in failed("09.3", hard_gumbel_softmax=lambda z, g, tau: ((z + g) / tau).softmax(-1))
    assert "wrong sign" in failed("09.3", hard_gumbel_softmax=wrong_sign)
    assert "element" in failed("09.3", hard_gumbel_softmax=no_tau)
    assert "argmax of y_soft" in failed("09.3", hard_gumbel_softmax=lambda z, g, tau: hard_gumbel_softmax(z, -g, tau))


# 09.4 -----------------------------------------------------------------------------------------------

def pick_level(logits: torch.Tensor, levels: torch.Tensor, gumbels: torch.Tensor, tau: float) -> torch.Tensor:
    return hard_gumbel_softmax(logits, gumbels, tau) @ levels


@pytest.mark.parametrize("seed", SEEDS)
def test_09_4_right_answer_passes(seed: int) -> None:
    result = run_check("09.4", {"pick_level": pick_level}, seed=seed)
    assert result.passed, result.text()


def test_09_4_typical_mistakes() -> None:
    def indexed(z: torch.Tensor, levels: torch.Tensor, g: torch.Tensor, tau: float) -> torch.Tensor:
        return levels[((z + g) / tau).argmax(-1)]

    soft = lambda z, levels, g, tau: ((z + g) / tau).softmax(-1) @ levels  # noqa: E731
    assert "does not require grad" in failed("09.4", pick_level=indexed)
    assert "not one of the levels" in failed("09.4", pick_level=soft)
    assert "shape" in failed("09.4", pick_level=lambda z, levels, g, tau: hard_gumbel_softmax(z, g, tau) * levels)


# right answers, differently written: run under odd kernel states by tests/test_check_states.py
def _gumbel_inverse_cdf(shape: tuple[int, ...], generator: torch.Generator) -> torch.Tensor:
    u = torch.rand(*shape, generator=generator, dtype=torch.float64)
    return (-(-u.log()).log()).float()


def _gumbel_uniform(shape: tuple[int, ...], generator: torch.Generator) -> torch.Tensor:
    u = torch.empty(shape).uniform_(1e-10, 1.0, generator=generator)
    return -torch.log(-torch.log(u))


def _gumbel_max_loop(logits: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    g = -torch.log(-torch.log(torch.rand(logits.shape, generator=generator)))
    return torch.max(logits + g, dim=-1).indices


def _hard_gs_scatter(logits: torch.Tensor, gumbels: torch.Tensor, tau: float) -> torch.Tensor:
    y_soft = torch.softmax((logits + gumbels) / tau, dim=-1)
    index = y_soft.argmax(dim=-1, keepdim=True)
    y_hard = torch.zeros_like(y_soft).scatter_(-1, index, 1.0)
    return y_soft + (y_hard - y_soft).detach()


def _hard_gs_eq(logits: torch.Tensor, gumbels: torch.Tensor, tau: float) -> torch.Tensor:
    y_soft = F.softmax((logits + gumbels) / tau, -1)
    y_hard = (y_soft == y_soft.max(dim=-1, keepdim=True).values).float()
    return (y_hard - y_soft).detach() + y_soft


RIGHT_ANSWERS = {
    "09.1": [dict(sample_gumbel=sample_gumbel), dict(sample_gumbel=sample_gumbel_exponential),
             dict(sample_gumbel=_gumbel_inverse_cdf), dict(sample_gumbel=_gumbel_uniform)],
    "09.2": [dict(gumbel_max_sample=gumbel_max_sample), dict(gumbel_max_sample=_gumbel_max_loop),
             dict(gumbel_max_sample=lambda lg, g: (lg + sample_gumbel_exponential(lg.shape, g)).argmax(-1)),
             dict(gumbel_max_sample=lambda lg, g: torch.argmax(lg - torch.log(torch.empty_like(lg).exponential_(generator=g)), dim=-1))],
    "09.3": [dict(hard_gumbel_softmax=hard_gumbel_softmax), dict(hard_gumbel_softmax=_hard_gs_scatter),
             dict(hard_gumbel_softmax=_hard_gs_eq),
             dict(hard_gumbel_softmax=lambda lg, g, tau: F.gumbel_softmax(lg, tau=tau, hard=True) * 0 + hard_gumbel_softmax(lg, g, tau))],
    "09.4": [dict(pick_level=pick_level), dict(pick_level=lambda lg, lv, g, tau: (_hard_gs_scatter(lg, g, tau) * lv).sum(-1)),
             dict(pick_level=lambda lg, lv, g, tau: torch.einsum("nk,k->n", _hard_gs_eq(lg, g, tau), lv)),
             dict(pick_level=lambda lg, lv, g, tau: hard_gumbel_softmax(lg, g, tau).matmul(lv))],
}
