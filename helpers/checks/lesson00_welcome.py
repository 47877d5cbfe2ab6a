"""Lesson 00: a warm-up exercise that shows how a check cell reports."""
from __future__ import annotations

from typing import Any

import torch

from helpers.checking import NotAnswered, WrongAnswer, close, exercise
from helpers.guards import as_number


@exercise("00.1", "the derivative of x**2 at x = 3")
def slope_of_square(slope: Any, gen: torch.Generator) -> str:
    if slope is Ellipsis or slope is None:
        raise NotAnswered()
    number = as_number(slope)
    if number is None:
        raise WrongAnswer(f"the answer should be a number, but it is a {type(slope).__name__}.",
                          "Write a plain number such as 1.5, or read it from x.grad with .item().")
    x = torch.tensor(3.0, requires_grad=True)
    (x**2).backward()
    slope = number
    if slope == 9:
        raise WrongAnswer("9 is the value of x**2 at x = 3, not its slope.", "The derivative of x**2 is 2*x.")
    if not close(float(slope), x.grad.item()):
        raise WrongAnswer(f"your slope is {slope}, autograd says {x.grad.item()}.", "The derivative of x**2 is 2*x.")
    return "d(x**2)/dx at x = 3 is 6, as autograd says."
