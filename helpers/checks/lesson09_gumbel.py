"""Lesson 09: Gumbel noise, the Gumbel-max trick, a hand-made hard Gumbel-Softmax, and picking a level with it."""
from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F

from helpers.checking import WrongAnswer, call_learner, exercise
from helpers.guards import backward_through, no_graph_hint, require_tensor

EULER_GAMMA = 0.5772156649
NO_GRAD = ("the one-hot alone has no gradient (argmax and scatter are not differentiable): add "
           "y_soft - y_soft.detach(), which is zero in value but carries y_soft's gradient.")


def seed_from(gen: torch.Generator) -> int:
    return int(torch.randint(0, 2**31 - 1, (), generator=gen))


def tensor_result(fn: Any, *args: Any, name: str, shape: tuple[int, ...]) -> torch.Tensor:
    """The learner's fn(*args) as a tensor of the expected shape."""
    out = call_learner(fn, *args, name=name)
    if out is None:
        raise WrongAnswer(f"{name} returned None.", "Did you forget the `return` statement?")
    out = require_tensor(out, f"the result of {name}")
    if tuple(out.shape) != shape:
        raise WrongAnswer(f"{name} returned shape {tuple(out.shape)}, expected {shape}.",
                          "Keep one result per row of logits (reduce over the last dimension, dim=-1).")
    return out


def real_result(out: torch.Tensor, name: str) -> torch.Tensor:
    """A result that must be real floating point, like the logits."""
    if not out.is_floating_point():
        raise WrongAnswer(f"{name} returned a {out.dtype} tensor; it should be floating point like the logits.",
                          "Keep the softmax's dtype: a one-hot from F.one_hot is int64, so cast it with .to(y_soft.dtype).")
    return out


@exercise("09.1", "sample_gumbel(shape, generator)")
def check_sample_gumbel(sample_gumbel: Any, gen: torch.Generator) -> str:
    small = tensor_result(sample_gumbel, (3, 4), torch.Generator().manual_seed(seed_from(gen)), name="sample_gumbel", shape=(3, 4))
    if not small.is_floating_point():
        raise WrongAnswer(f"sample_gumbel returned a {small.dtype} tensor.", "Gumbel noise is real-valued: start from torch.rand.")
    seed, n = seed_from(gen), 200_000
    g = tensor_result(sample_gumbel, (n,), torch.Generator().manual_seed(seed), name="sample_gumbel", shape=(n,)).detach().double()
    again = tensor_result(sample_gumbel, (n,), torch.Generator().manual_seed(seed), name="sample_gumbel", shape=(n,)).detach().double()
    if not torch.equal(g.nan_to_num(), again.nan_to_num()):
        raise WrongAnswer("two generators with the same seed gave different noise.",
                          "Draw the uniforms from the generator you are given: torch.rand(shape, generator=generator).")
    finite = g[torch.isfinite(g)]
    if finite.numel() < n - 10:
        raise WrongAnswer(f"{n - finite.numel()} of {n} samples are inf or NaN.", "Keep the logs away from log(0).")
    mean, var, median = finite.mean().item(), finite.var().item(), finite.median().item()
    if abs(mean - EULER_GAMMA) > 0.015 or abs(var - math.pi**2 / 6) > 0.05 or abs(median + math.log(math.log(2))) > 0.02:
        hint = "Gumbel noise is -log(-log(u)) with u uniform in (0, 1): two logs, two minus signs."
        if abs(mean - 1) < 0.02:
            hint = "mean 1 is the exponential distribution, -log(u): take -log of that once more."
        elif abs(mean + EULER_GAMMA) < 0.02:
            hint = "your noise is the negative of Gumbel noise: check the outer minus sign in -log(-log(u))."
        raise WrongAnswer(f"over {n} samples your noise has mean {mean:.3f}, variance {var:.3f}, median {median:.3f}; "
                          f"Gumbel(0, 1) has {EULER_GAMMA:.3f}, {math.pi**2 / 6:.3f}, {-math.log(math.log(2)):.3f}.", hint)
    return "mean, variance and median of Gumbel(0, 1), reproducible from the generator."


@exercise("09.2", "gumbel_max_sample(logits, generator)")
def check_gumbel_max_sample(gumbel_max_sample: Any, gen: torch.Generator) -> str:
    k, n = 5, 40_000
    row = torch.randn(k, generator=gen) * 1.2
    logits = row.repeat(n, 1)
    seed = seed_from(gen)
    idx = tensor_result(gumbel_max_sample, logits, torch.Generator().manual_seed(seed), name="gumbel_max_sample", shape=(n,))
    if idx.is_floating_point() or idx.is_complex() or idx.dtype == torch.bool:
        raise WrongAnswer(f"gumbel_max_sample returned {idx.dtype} values.", "Return the index of the winner: argmax gives int64.")
    if idx.min() < 0 or idx.max() >= k:
        raise WrongAnswer(f"some indices are outside 0..{k - 1}.", "Take the argmax over the last dimension, the classes.")
    again = tensor_result(gumbel_max_sample, logits, torch.Generator().manual_seed(seed), name="gumbel_max_sample", shape=(n,))
    if not torch.equal(idx, again):
        raise WrongAnswer("two generators with the same seed gave different samples.",
                          "Draw the noise from the generator you are given, not from the global random stream.")
    freq, probs = torch.bincount(idx.long(), minlength=k).double() / n, torch.softmax(row.double(), 0)
    worst = int((freq - probs).abs().argmax())
    if (freq - probs).abs().max() > 0.015:
        hint = "Add Gumbel noise -log(-log(u)) to the logits, then take the argmax over the last dimension."
        if freq.max() > 0.99:
            hint = ("you always pick the same class: without noise, or with one noise value per row (shape (n, 1)) that shifts "
                    "every logit of the row alike, argmax returns the largest logit. Draw one noise value per entry, of logits' shape.")
        elif freq.max() < probs.max() - 0.015:
            hint = "your samples are too even: add the noise to the logits (log-probabilities), not to probabilities."
        raise WrongAnswer(f"class {worst} came up in {freq[worst]:.3f} of {n} samples; softmax(logits) gives it "
                          f"{probs[worst]:.3f}.", hint)
    two = torch.tensor([[0.0, -20.0, 20.0], [20.0, 0.0, -20.0]]).repeat(50, 1)
    got = tensor_result(gumbel_max_sample, two, torch.Generator().manual_seed(seed), name="gumbel_max_sample", shape=(100,))
    if not torch.equal(got, torch.tensor([2, 0]).repeat(50)):
        raise WrongAnswer("with rows [0, -20, 20] and [20, 0, -20] your samples are not almost surely 2 and 0.",
                          "Each row is its own distribution: argmax over dim=-1, with fresh noise for every entry.")
    return "its frequencies match softmax(logits), row by row, and it is reproducible from the generator."


def torch_style_noise(logits: torch.Tensor, seed: int) -> torch.Tensor:
    """The Gumbel noise F.gumbel_softmax draws after torch.manual_seed(seed) (its own recipe, from its source)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return -torch.empty_like(logits).exponential_().log()


def torch_hard(logits: torch.Tensor, seed: int, tau: float) -> torch.Tensor:
    """F.gumbel_softmax(logits, tau, hard=True) with the noise of `torch_style_noise(logits, seed)`."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return F.gumbel_softmax(logits, tau=tau, hard=True)


def judge_gradient(g: torch.Tensor, want: torch.Tensor, what: str, tau: float) -> None:
    """g must equal PyTorch's gradient `want`; the hint names the usual slip."""
    if torch.allclose(g, want, atol=1e-5, rtol=1e-4):
        return
    hint = "The gradient must be the soft sample's: y_hard - y_soft.detach() + y_soft."
    if not g.any():
        hint = NO_GRAD
    elif torch.allclose(g, -want, atol=1e-5, rtol=1e-4):
        hint = "the gradient has the wrong sign: subtract y_soft.detach() and add y_soft, not the other way round."
    elif torch.allclose(g * tau, want, atol=1e-5, rtol=1e-4) or torch.allclose(g, want * tau, atol=1e-5, rtol=1e-4):
        hint = "the gradient is off by a factor tau: divide (logits + gumbels) by tau inside the softmax."
    i = int((~torch.isclose(g, want, atol=1e-5, rtol=1e-4)).flatten().nonzero()[0])
    raise WrongAnswer(f"{what}: element {i} of the gradient wrt the logits is {g.flatten()[i].item():.4g}, "
                      f"F.gumbel_softmax(hard=True) gives {want.flatten()[i].item():.4g}.", hint)


@exercise("09.3", "hard_gumbel_softmax(logits, gumbels, tau) by hand")
def check_hard_gumbel_softmax(hard_gumbel_softmax: Any, gen: torch.Generator) -> str:
    for shape, tau in [((6, 4), 1.0), ((3, 7), float(0.2 + 2 * torch.rand((), generator=gen))), ((5,), 0.5)]:
        seed = seed_from(gen)
        logits = (torch.randn(shape, generator=gen) * 2).requires_grad_(True)
        gumbels = torch_style_noise(logits.detach(), seed)
        y = real_result(tensor_result(hard_gumbel_softmax, logits, gumbels, tau, name="hard_gumbel_softmax", shape=shape), "hard_gumbel_softmax")
        want = torch_hard(logits, seed, tau)
        what = f"logits of shape {shape}, tau = {tau:.3g}"
        if not torch.allclose(y.detach().to(want.dtype), want.detach(), rtol=0, atol=1e-6):  # float rounding only
            hint = "Take the argmax of y_soft = softmax((logits + gumbels) / tau) along the last dimension, one-hot it."
            y_real = y.detach().to(want.dtype) if not y.is_complex() else y.detach().abs().to(want.dtype)
            off_grid = torch.minimum(y_real.abs(), (y_real - 1).abs()) > 1e-6
            if off_grid.any():
                hint = "the forward value must be exactly one-hot (0s and a single 1): add y_hard - y_soft.detach() to y_soft."
            raise WrongAnswer(f"{what}: your forward values are not F.gumbel_softmax(hard=True)'s one-hot samples "
                              "for the same noise.", hint)
        if not y.requires_grad:
            raise WrongAnswer(f"{what}: your result does not require grad, so the logits get no gradient.", no_graph_hint(NO_GRAD))
        weights = torch.randn(shape, generator=gen)
        g = backward_through(y, logits, "hard_gumbel_softmax", weights)
        (g_want,) = torch.autograd.grad((want * weights).sum(), logits)
        judge_gradient(torch.zeros_like(logits) if g is None else g, g_want, what, tau)
    return "one-hot forward and the soft sample's gradient: exactly F.gumbel_softmax(hard=True) for the same noise."


@exercise("09.4", "pick_level(logits, levels, gumbels, tau): a differentiable choice of one level")
def check_pick_level(pick_level: Any, gen: torch.Generator) -> str:
    for n, k in [(4, 3), (6, 5)]:
        seed, tau = seed_from(gen), float(0.3 + torch.rand((), generator=gen))
        levels = torch.sort(torch.randn(k, generator=gen) * 2).values
        logits = torch.randn(n, k, generator=gen).requires_grad_(True)
        gumbels = torch_style_noise(logits.detach(), seed)
        v = real_result(tensor_result(pick_level, logits, levels, gumbels, tau, name="pick_level", shape=(n,)), "pick_level")
        want = torch_hard(logits, seed, tau) @ levels
        what = f"{n} rows, {k} levels, tau = {tau:.3g}"
        if not torch.allclose(v.detach().to(want.dtype), want.detach(), atol=1e-6):
            hint = "Multiply the hard one-hot sample by the levels and sum over the last dimension (y @ levels)."
            on_grid = (v.detach().unsqueeze(-1) - levels).abs().min(-1).values < 1e-6
            if not on_grid.all():
                hint = "some values are not one of the levels: use the hard (one-hot) sample, not the soft one."
            raise WrongAnswer(f"{what}: your values {[round(x, 4) for x in v.detach().tolist()]} are not the levels "
                              f"picked by the hard Gumbel-Softmax sample {[round(x, 4) for x in want.tolist()]}.", hint)
        if not v.requires_grad:
            raise WrongAnswer(f"{what}: your result does not require grad.",
                              "Indexing levels[argmax] cuts the logits out of the graph: select with the straight-through one-hot instead.")
        upstream = torch.randn(n, generator=gen)
        g = backward_through(v, logits, "pick_level", upstream)
        (g_want,) = torch.autograd.grad((want * upstream).sum(), logits)
        judge_gradient(torch.zeros_like(logits) if g is None else g, g_want, what, tau)
    return "exactly one of the levels in the forward pass, and the logits learn through the soft sample."
