"""Lesson 05: gradients through indices and integer labels."""
from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from helpers.autograd_use import watch_autograd
from helpers.checking import WrongAnswer, call_learner, exercise
from helpers.predictions import judge_predictions
from helpers.guards import require_close, require_tensor


def _grads_0501() -> dict[str, bool]:
    """Run exercise 05.1's code and report, per tensor, whether its .grad is None."""
    gen = torch.Generator().manual_seed(5)
    x = torch.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    idx = torch.tensor([3, 1, 3])
    scale = idx.float()
    emb = torch.nn.Embedding(5, 2)
    tokens = torch.tensor([4, 0, 4])
    logits = torch.randn(2, 3, generator=gen, requires_grad=True)
    labels = torch.tensor([1, 0])
    loss = (x[idx] * scale).sum() + emb(tokens).sum() + F.cross_entropy(logits, labels)
    loss.backward()
    named = {"x": x, "idx": idx, "scale": scale, "weight": emb.weight, "tokens": tokens, "logits": logits, "labels": labels}
    return {k: t.grad is None for k, t in named.items()}


_HINTS_0501 = {
    "x": "x is a float leaf that requires grad, and x[idx] passes gradient back to it.",
    "idx": "an integer index never gets a gradient: its .grad stays None.",
    "scale": "idx.float() is a new float tensor, but nothing asked it to require grad: it is data.",
    "weight": "an embedding's weight is an nn.Parameter; the looked-up rows receive gradient.",
    "tokens": "token ids are integer indices: their .grad stays None.",
    "logits": "logits requires grad and cross_entropy is differentiable in it.",
    "labels": "labels are integer indices into the classes: their .grad stays None.",
}


@exercise("05.1", "whose .grad is None?")
def grad_is_none_rule(grad_is_none: Any, gen: torch.Generator) -> str:
    judge_predictions(grad_is_none, _grads_0501(), _HINTS_0501, "grad_is_none")
    return "all seven predictions match PyTorch."


def _autograd_index_sum(n: int, idx: torch.Tensor) -> torch.Tensor:
    x = torch.zeros(n, requires_grad=True)
    x[idx].sum().backward()
    return x.grad


@exercise("05.2", "index_sum_grad(n, idx)")
def index_sum_grad_rule(index_sum_grad: Any, gen: torch.Generator) -> str:
    cases = [(5, torch.tensor([0, 2, 2, 4, 2])), (4, torch.tensor([1, 1, 1, 1])), (6, torch.tensor([5, 0])),
             (3, torch.tensor([], dtype=torch.long))]
    for _ in range(4):
        n = int(torch.randint(2, 12, (1,), generator=gen))
        cases.append((n, torch.randint(0, n, (int(torch.randint(1, 16, (1,), generator=gen)),), generator=gen)))
    for n, idx in cases:
        expected = _autograd_index_sum(n, idx)
        with watch_autograd() as used:
            got = call_learner(index_sum_grad, n, idx.clone(), name="index_sum_grad")
        if used:
            raise WrongAnswer(f"index_sum_grad ran autograd ({used[0]}): the exercise asks for the gradient without autograd.",
                              "Count how often each slot appears in idx: torch.bincount(idx, minlength=n), or a loop that adds 1.")
        inputs = f"for n = {n}, idx = {idx.tolist()}"
        got = require_tensor(got, "index_sum_grad(n, idx)")
        if tuple(got.shape) != (n,):
            raise WrongAnswer(f"your result {inputs} has shape {tuple(got.shape)}, expected ({n},): one entry per slot of x.",
                              "the gradient has the shape of x, not of idx (torch.bincount needs minlength=n for that).")
        if expected.max() > 1 and torch.equal(got.detach().float(), (expected > 0).float()):
            raise WrongAnswer(f"your result {inputs} is {got.tolist()}, expected {expected.tolist()}.",
                              "repeated indices accumulate: every time an index appears, its slot gets another +1.")
        try:
            require_close(got, expected, "your gradient", inputs=inputs)
        except WrongAnswer as wrong:
            wrong.hint = wrong.hint or "slot j of x.grad counts how often j appears in idx."
            raise
    return "right for all index patterns tried, repeats and an empty index included."


def _ce_grad(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    leaf = logits.clone().requires_grad_()
    F.cross_entropy(leaf, labels).backward()
    return leaf.grad


def _ce_wrong_answers(logits: torch.Tensor, labels: torch.Tensor) -> list[tuple[torch.Tensor, str]]:
    """Typical wrong closed forms, each with the hint aimed at its mistake."""
    batch, classes = logits.shape
    p = torch.softmax(logits, dim=1)
    one_hot = F.one_hot(labels, classes).to(logits.dtype)
    return [
        (p - one_hot, "you forgot to divide by the batch size: reduction='mean' averages over the batch."),
        ((one_hot - p) / batch, "the sign is flipped: the gradient is softmax minus one-hot, not one-hot minus softmax."),
        ((p - labels[:, None].to(logits.dtype)) / batch,
         "you used the labels as float values; they are class indices: subtract 1 only at [i, labels[i]]."),
        ((torch.softmax(logits, dim=0) - one_hot) / batch, "the softmax runs over the classes, dim=1, not over the batch."),
        ((logits - one_hot) / batch, "turn the logits into probabilities with a softmax first."),
        (p / batch, "the true class of each row also gets -1: subtract the one-hot labels."),
    ]


@exercise("05.3", "cross_entropy_grad(logits, labels)")
def cross_entropy_grad_rule(cross_entropy_grad: Any, gen: torch.Generator) -> str:
    cases = []
    for batch, classes in [(4, 3), (1, 5), (7, 2), (6, 10), (5, 5)]:
        logits = torch.randn(batch, classes, generator=gen) * 2
        cases.append((logits, torch.randint(0, classes, (batch,), generator=gen)))
    cases.append((torch.randn(3, 6, generator=gen), torch.zeros(3, dtype=torch.long)))  # every label 0
    cases.append((torch.randn(5, 5, generator=gen), torch.randperm(5, generator=gen)))  # each class once
    for logits, labels in cases:
        expected = _ce_grad(logits, labels)
        try:
            with torch.no_grad():  # closed form only: autograd is off inside the learner's function
                got = call_learner(cross_entropy_grad, logits.clone(), labels.clone(), name="cross_entropy_grad")
        except WrongAnswer as wrong:
            error = wrong.message.split(" raised ", 1)[-1]
            if "must match the size" in error:
                wrong.hint = "F.one_hot(labels) guesses the class count from the largest label: pass num_classes=logits.shape[1]."
            elif "require grad" in error or "grad_fn" in error:
                wrong.hint = "write it in closed form from softmax and the labels: the check runs your function with autograd off."
            raise
        inputs = f"for {logits.shape[0]} example(s), {logits.shape[1]} classes, labels {labels.tolist()}"
        try:
            require_close(got, expected, "your gradient", inputs=inputs, atol=1e-5)
        except WrongAnswer as wrong:
            if isinstance(got, torch.Tensor) and got.shape == expected.shape and not got.is_complex():
                got = got.detach().to(expected.dtype)
                for candidate, hint in _ce_wrong_answers(logits, labels):
                    if not torch.allclose(candidate, expected, atol=1e-6) and torch.allclose(got, candidate, atol=1e-5):
                        wrong.hint = hint
                        break
            wrong.hint = wrong.hint or "compare with the lesson: (softmax over classes - one-hot) / batch size."
            raise
    return f"your closed form matches autograd on {len(cases)} batches of different sizes and label patterns."


def _gather_grad(src: torch.Tensor, index: torch.Tensor, grad_out: torch.Tensor) -> torch.Tensor:
    leaf = src.clone().requires_grad_()
    torch.gather(leaf, 1, index).backward(grad_out)
    return leaf.grad


@exercise("05.4", "gather_grad(src, index, grad_out)")
def gather_grad_rule(gather_grad: Any, gen: torch.Generator) -> str:
    cases = [(torch.arange(12.0).reshape(3, 4), torch.tensor([[0, 0], [3, 1], [2, 2]]), torch.ones(3, 2))]
    for rows, cols, picks in [(2, 5, 3), (4, 3, 6), (1, 6, 4)]:
        index = torch.randint(0, cols, (rows, picks), generator=gen)
        cases.append((torch.randn(rows, cols, generator=gen), index, torch.randn(rows, picks, generator=gen)))
    for src, index, grad_out in cases:
        expected = _gather_grad(src, index, grad_out)
        got = call_learner(gather_grad, src.clone(), index.clone(), grad_out.clone(), name="gather_grad")
        inputs = f"for index = {index.tolist()}"
        try:
            require_close(got, expected, "your gradient", inputs=inputs)
        except WrongAnswer as wrong:
            if isinstance(got, torch.Tensor) and got.shape == expected.shape and not got.is_complex():
                got = got.detach().to(expected.dtype)
                counts = _gather_grad(src, index, torch.ones_like(grad_out))
                repeated = counts > 1
                if torch.allclose(got, counts) and not torch.allclose(counts, expected):
                    wrong.hint = "each pick passes on its own upstream gradient grad_out[i, k], not 1."
                elif repeated.any() and torch.allclose(got[~repeated], expected[~repeated], atol=1e-5):
                    wrong.hint = "you are wrong only where an index repeats in a row: repeats must add up (scatter_add_, not scatter_)."
                elif torch.allclose(got, torch.zeros_like(got)):
                    wrong.hint = "start from zeros of src's shape and add each grad_out[i, k] at column index[i, k] of row i."
            raise
    return "your gradient matches autograd, repeated indices included."
