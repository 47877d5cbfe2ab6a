"""Lesson 03's checks: right answers pass for several seeds; typical wrong answers get their hint."""
from __future__ import annotations

import pytest
import torch

from check_helpers import verdict as check

SEEDS = [0, 1, 7, 123]
IS_LEAF = {"w": True, "x": True, "h": False, "loss": False, "d": True}
GRAD_FN = {"w": None, "x": None, "h": "MulBackward0", "loss": "SumBackward0", "d": None}


def grad_fn_names(t: torch.Tensor) -> list[str]:
    seen, names, todo = set(), [], [t.grad_fn] if t.grad_fn is not None else []
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            names.append(type(node).__name__)
            todo.extend(f for f, _ in node.next_functions if f is not None)
    return names


def hidden_grad(w: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    h = torch.tanh(w * x)
    h.retain_grad()
    (h**2).sum().backward()
    return h.grad


def make_fit(zero: str = "after"):
    def fit_slope(xs: torch.Tensor, ys: torch.Tensor, steps: int = 30, lr: float = 0.1) -> torch.Tensor:
        w = torch.zeros((), requires_grad=True)
        for _ in range(steps):
            ((w * xs - ys) ** 2).mean().backward()
            if zero == "before":
                w.grad.zero_()
            with torch.no_grad():
                w -= lr * w.grad
            if zero == "after":
                w.grad = None
        return w
    return fit_slope



@pytest.mark.parametrize("seed", SEEDS)
def test_right_answers_pass_for_any_seed(seed: int) -> None:
    assert check("03.1", seed, is_leaf=IS_LEAF, grad_fn_name=GRAD_FN)
    assert check("03.2", seed, grad_fn_names=grad_fn_names)
    assert check("03.3", seed, hidden_grad=hidden_grad)
    assert check("03.4", seed, fit_slope=make_fit())


def test_node_name_method_is_accepted() -> None:
    def by_name_method(t: torch.Tensor) -> list[str]:
        seen, out, todo = set(), [], [t.grad_fn] if t.grad_fn is not None else []
        while todo:
            node = todo.pop()
            if node not in seen:
                seen.add(node)
                out.append(node.name())  # "torch::autograd::AccumulateGrad" for leaves
                todo.extend(f for f, _ in node.next_functions if f is not None)
        return out

    assert check("03.2", grad_fn_names=by_name_method)


def test_wrong_predictions_get_one_hint_each() -> None:
    result = check("03.1", is_leaf={**IS_LEAF, "x": False, "d": False}, grad_fn_name=GRAD_FN)
    assert result.status == "failed" and "2 of 5 wrong" in result.message
    assert "by convention" in result.hint and "no history" in result.hint
    result = check("03.1", is_leaf=IS_LEAF, grad_fn_name={**GRAD_FN, "loss": "AddBackward0"})
    assert result.status == "failed" and "SumBackward0" in result.hint


def _no_visited_set(t: torch.Tensor) -> list[str]:
    out: list[str] = []

    def visit(node: object) -> None:
        if node is not None:
            out.append(type(node).__name__)
            for f, _ in node.next_functions:
                visit(f)

    visit(t.grad_fn)
    return out


def _keeps_none(t: torch.Tensor) -> list[str]:
    out, todo = [], [t.grad_fn]
    while todo:
        node = todo.pop()
        out.append(type(node).__name__)
        todo.extend(f for f, _ in node.next_functions)
    return out


@pytest.mark.parametrize("wrong, hint", [
    (_no_visited_set, "counts once"),
    (_keeps_none, "skip those entries"),
    (lambda t: [n for n in grad_fn_names(t) if n != "AccumulateGrad"], "AccumulateGrad"),
    (lambda t: [type(t.grad_fn).__name__] if t.grad_fn is not None else [], "Walk all the way down"),
    (lambda t: [repr(t.grad_fn)], "reprs"),
    (lambda t: ",".join(grad_fn_names(t)), "list of strings"),
])
def test_walk_mistakes_get_their_hint(wrong, hint: str) -> None:
    result = check("03.2", grad_fn_names=wrong)
    assert result.status == "failed" and hint in result.message + result.hint


def test_leaf_crash_gets_the_leaf_hint() -> None:
    def no_leaf_case(t: torch.Tensor) -> list[str]:
        t.grad_fn.name()  # crashes on a leaf, whose grad_fn is None
        return grad_fn_names(t)

    result = check("03.2", grad_fn_names=no_leaf_case)
    assert result.status == "failed" and "a leaf" in result.message and "empty list" in result.hint


def test_hard_coded_names_fail() -> None:
    assert check("03.2", grad_fn_names=lambda t: ["AddBackward0", "MulBackward0", "AccumulateGrad", "AccumulateGrad"]).status == "failed"


def _grad_without_retain(w: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    h = torch.tanh(w * x)
    (h**2).sum().backward()
    return h.grad


def _leaf_grad(w: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    h = torch.tanh(w * x)
    (h**2).sum().backward()
    return w.grad


@pytest.mark.parametrize("wrong, hint", [(_grad_without_retain, "retain_grad()"), (_leaf_grad, "dloss/dh")])
def test_hidden_grad_mistakes_get_their_hint(wrong, hint: str) -> None:
    result = check("03.3", hidden_grad=wrong)
    assert result.status == "failed" and hint in result.hint


def test_hidden_grad_analytic_answer_passes_and_hard_coded_fails() -> None:
    assert check("03.3", hidden_grad=lambda w, x: 2 * torch.tanh(w * x))
    assert check("03.3", hidden_grad=lambda w, x: torch.ones_like(w)).status == "failed"


@pytest.mark.parametrize("zero, hint", [("never", "adds into w.grad"), ("before", "after the update")])
def test_fit_mistakes_get_their_hint(zero: str, hint: str) -> None:
    result = check("03.4", fit_slope=make_fit(zero))
    assert result.status == "failed" and hint in result.hint


def test_hard_coded_slope_fails() -> None:
    assert check("03.4", fit_slope=lambda xs, ys, steps=30, lr=0.1: torch.tensor(0.447)).status == "failed"


def test_half_answered_prediction_says_which_dict_is_left() -> None:
    result = check("03.1", is_leaf=IS_LEAF, grad_fn_name=...)
    assert result.status == "failed" and "grad_fn_name is still" in result.message


# right answers, differently written: run under odd kernel states by tests/test_check_states.py
def _walk_recursive(t: torch.Tensor) -> list[str]:
    seen: dict = {}

    def visit(node) -> None:
        if node is not None and node not in seen:
            seen[node] = type(node).__name__
            for child, _ in node.next_functions:
                visit(child)

    visit(t.grad_fn)
    return list(seen.values())


def _walk_breadth_first(t: torch.Tensor) -> list[str]:
    from collections import deque
    if t.grad_fn is None:
        return []
    seen, queue, names = {t.grad_fn}, deque([t.grad_fn]), []
    while queue:
        node = queue.popleft()
        names.append(node.name().split("::")[-1])
        for child, _ in node.next_functions:
            if child is not None and child not in seen:
                seen.add(child)
                queue.append(child)
    return names


def _walk_by_id(t: torch.Tensor) -> tuple[str, ...]:
    ids, out, todo = set(), [], [t.grad_fn]
    while todo:
        node = todo.pop()
        if node is None or id(node) in ids:
            continue
        ids.add(id(node))
        out.append(type(node).__name__)
        todo += [f for f, _ in node.next_functions]
    return tuple(out)


def _hidden_grad_autograd(w: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    h = (w * x).tanh()
    return torch.autograd.grad((h**2).sum(), h)[0]


def _hidden_grad_hook(w: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    got = {}
    h = torch.tanh(x * w)
    h.register_hook(lambda g: got.setdefault("h", g))
    h.pow(2).sum().backward()
    return got["h"]


def _fit_zero_grad(xs: torch.Tensor, ys: torch.Tensor, steps: int, lr: float) -> torch.Tensor:
    w = torch.tensor(0.0, requires_grad=True)
    opt = torch.optim.SGD([w], lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        ((w * xs - ys) ** 2).mean().backward()
        opt.step()
    return w.detach()


def _fit_zero_first(xs: torch.Tensor, ys: torch.Tensor, steps: int = 30, lr: float = 0.1) -> torch.Tensor:
    w = torch.zeros((), requires_grad=True)
    for _ in range(steps):
        if w.grad is not None:
            w.grad.zero_()
        loss = ((w * xs - ys) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            w.sub_(lr * w.grad)
    return w


def _fit_autograd(xs: torch.Tensor, ys: torch.Tensor, steps: int, lr: float) -> torch.Tensor:
    w = torch.zeros(1, requires_grad=True)
    for _ in range(steps):
        (g,) = torch.autograd.grad(((w * xs - ys) ** 2).mean(), w)
        w = (w - lr * g).detach().requires_grad_()
    return w


RIGHT_ANSWERS = {
    "03.1": [dict(is_leaf=IS_LEAF, grad_fn_name=GRAD_FN), dict(is_leaf=dict(reversed(IS_LEAF.items())), grad_fn_name=GRAD_FN),
             dict(is_leaf={k: torch.tensor(v) for k, v in IS_LEAF.items()}, grad_fn_name=dict(reversed(GRAD_FN.items()))),
             dict(is_leaf={k: v == 1 for k, v in IS_LEAF.items()}, grad_fn_name={**GRAD_FN, "h": "MulBackward0"})],
    "03.2": [dict(grad_fn_names=grad_fn_names), dict(grad_fn_names=_walk_recursive),
             dict(grad_fn_names=_walk_breadth_first), dict(grad_fn_names=_walk_by_id)],
    "03.3": [dict(hidden_grad=hidden_grad), dict(hidden_grad=_hidden_grad_autograd), dict(hidden_grad=_hidden_grad_hook),
             dict(hidden_grad=lambda w, x: 2 * torch.tanh(w * x).detach())],
    "03.4": [dict(fit_slope=make_fit()), dict(fit_slope=_fit_zero_first), dict(fit_slope=_fit_zero_grad),
             dict(fit_slope=_fit_autograd)],
}
