"""Lesson 03b's checks: right answers, written several ways, pass for several seeds; each mistake gets its hint."""
from __future__ import annotations

from typing import Any

import pytest
import torch

from check_helpers import SEEDS, assert_all_pass, assert_fails, verdict

PREDICTIONS = {"plain_backward_raises": True, "after_backward": 40.0, "g": 12.0, "after_grad": 40.0,
               "eval_requires_grad": True}


def jacobian_grad(f, x):
    y = f(x)
    rows = [torch.autograd.grad(y, x, grad_outputs=torch.eye(len(y))[i], retain_graph=True)[0] for i in range(len(y))]
    return torch.stack(rows)


def jacobian_backward(f, x):
    y = f(x)
    rows = []
    for i in range(y.shape[0]):
        x.grad = None
        y.backward(gradient=torch.nn.functional.one_hot(torch.tensor(i), y.shape[0]).float(), retain_graph=True)
        rows.append(x.grad.clone())
    return torch.stack(rows)


def jacobian_scalar_rows(f, x):
    y = f(x)
    return torch.stack([torch.autograd.grad(y[i], x, retain_graph=True)[0] for i in range(y.numel())])


def jacobian_accumulating(f, x):
    y = f(x)
    rows = []
    for i in range(y.shape[0]):
        y.backward(gradient=torch.eye(y.shape[0])[i], retain_graph=True)
        rows.append(x.grad.clone())
    return torch.stack(rows)


def second_grad(f, x):
    (d1,) = torch.autograd.grad(f(x).sum(), x, create_graph=True)
    if not d1.requires_grad:
        return torch.zeros_like(x)
    (d2,) = torch.autograd.grad(d1.sum(), x)
    return d2


def second_backward(f, x):
    (d1,) = torch.autograd.grad(f(x).sum(), x, create_graph=True)
    if d1.grad_fn is None:
        return torch.zeros_like(x)
    x.grad = None
    d1.sum().backward()
    return x.grad


def second_materialize(f, x):
    (d1,) = torch.autograd.grad(f(x), x, grad_outputs=torch.ones_like(x), create_graph=True)
    if not d1.requires_grad:
        return 0 * x.detach()
    return torch.autograd.grad(d1, x, grad_outputs=torch.ones_like(d1), allow_unused=True, materialize_grads=True)[0]


def second_no_create_graph(f, x):
    (d1,) = torch.autograd.grad(f(x).sum(), x)
    return torch.autograd.grad(d1.sum(), x)[0]


def second_no_linear_case(f, x):
    (d1,) = torch.autograd.grad(f(x).sum(), x, create_graph=True)
    return torch.autograd.grad(d1.sum(), x)[0]


def second_accumulating(f, x):
    f(x).sum().backward(create_graph=True)
    if x.grad.grad_fn is None:
        return torch.zeros_like(x)
    x.grad.sum().backward()
    return x.grad


def reverse_hook(x, lam):
    y = x.clone()
    y.register_hook(lambda g: -lam * g)
    return y


def reverse_detach(x, lam):
    return (x * (1 + lam)).detach() - lam * x


def reverse_function(x, lam):
    class Reverse(torch.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            return t.view_as(t)

        @staticmethod
        def backward(ctx, g):
            return -lam * g

    return Reverse.apply(x)


def reverse_on_x(x, lam):
    x.register_hook(lambda g: -lam * g)
    return x


def reverse_unsigned(x, lam):
    y = x.clone()
    y.register_hook(lambda g: lam * g)
    return y


RIGHT_ANSWERS: dict[str, list[dict[str, Any]]] = {
    "03b.1": [{"predictions": PREDICTIONS}, {"predictions": {**PREDICTIONS, "after_backward": 40, "g": 12}},
              {"predictions": {k: PREDICTIONS[k] for k in reversed(list(PREDICTIONS))}},
              {"predictions": {**PREDICTIONS, "g": torch.tensor(12.0), "after_grad": 4e1}}],
    "03b.2": [{"jacobian": jacobian_grad}, {"jacobian": jacobian_backward}, {"jacobian": jacobian_scalar_rows},
              {"jacobian": lambda f, x: torch.autograd.functional.jacobian(f, x.detach())}],
    "03b.3": [{"second_derivative": second_grad}, {"second_derivative": second_backward},
              {"second_derivative": second_materialize},
              {"second_derivative": lambda f, x: torch.func.vmap(torch.func.grad(torch.func.grad(f)))(x.detach())}],
    "03b.4": [{"reverse_grad": reverse_hook}, {"reverse_grad": reverse_detach}, {"reverse_grad": reverse_function},
              {"reverse_grad": lambda x, lam: x.detach() + (-lam * x - (-lam * x).detach())}],
}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("exercise_id", sorted(RIGHT_ANSWERS))
def test_right_answers_pass(exercise_id: str, seed: int) -> None:
    assert_all_pass(exercise_id, seed, RIGHT_ANSWERS[exercise_id])


@pytest.mark.parametrize("key, wrong", [("plain_backward_raises", False), ("after_backward", 4.0), ("g", 4.0),
                                        ("after_grad", 52.0), ("eval_requires_grad", False)])
def test_each_wrong_prediction_gets_its_own_hint(key: str, wrong: Any) -> None:
    from helpers.checks.lesson03b_autograd_grad import PREDICTION_HINTS

    result = verdict("03b.1", predictions={**PREDICTIONS, key: wrong})
    assert result.status == "failed" and "1 of 5 wrong" in result.message
    assert PREDICTION_HINTS[key] in result.hint


@pytest.mark.parametrize("wrong, hint", [
    (lambda f, x: jacobian_grad(f, x).T, "stack the rows"),
    (jacobian_accumulating, "reset it between rows"),
    (lambda f, x: torch.autograd.grad(f(x).sum(), x)[0].expand(len(f(x)), -1), "one-hot(i)"),
])
def test_jacobian_mistakes_get_their_hint(wrong, hint: str) -> None:
    assert_fails("03b.2", hint, jacobian=wrong)


def test_jacobian_hard_coded_fails() -> None:
    assert verdict("03b.2", jacobian=lambda f, x: torch.ones(3, 3)).status == "failed"


@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")  # second_accumulating's, on purpose
@pytest.mark.parametrize("wrong, hint", [
    (second_no_create_graph, "create_graph=True"),
    (second_no_linear_case, "linear f"),
    (lambda f, x: torch.autograd.grad(f(x).sum(), x)[0], "Differentiate the first derivative again"),
    (second_accumulating, "returns instead of accumulating"),
])
def test_second_derivative_mistakes_get_their_hint(wrong, hint: str) -> None:
    assert_fails("03b.3", hint, second_derivative=wrong)


def test_second_derivative_hard_coded_fails() -> None:
    assert verdict("03b.3", second_derivative=lambda f, x: -torch.sin(x.detach())).status == "failed"


@pytest.mark.parametrize("wrong, hint", [
    (reverse_on_x, "hook a copy"),
    (lambda x, lam: x.clone(), "Register a hook"),
    (reverse_unsigned, "-lam * grad"),
    (lambda x, lam: -lam * x, "expected"),
])
def test_reverse_mistakes_get_their_hint(wrong, hint: str) -> None:
    result = verdict("03b.4", reverse_grad=wrong)
    assert result.status == "failed" and hint in result.message + result.hint, result.text()


def test_reverse_hard_coded_fails() -> None:
    assert verdict("03b.4", reverse_grad=lambda x, lam: torch.zeros(3, requires_grad=True)).status == "failed"
