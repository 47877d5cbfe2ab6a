"""The one door through which a rule calls learner code, and the place that tells a learner's slips apart.

Every call gets the time limit and leaves PyTorch's state as it found it; the untouched stub, a function that
forgot `return`, an exception the learner raised and a loop that never ends each get their own message.
"""
from __future__ import annotations

import ast
import inspect
import textwrap
from typing import Any

import torch

from helpers.time_limit import LearnerTimeout, run_limited, time_limit
from helpers.torch_state import kept_state

STUB_MESSAGE = "replace this line with your answer"  # what helpers.exercise_build's stub raises
_last_changes: list[str] = []


class WrongAnswer(Exception):
    """Raised by a rule: the answer is wrong; `message` says where, `hint` says why."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class NotAnswered(Exception):
    """Raised by a rule when the learner left the stub in place."""


class TimedOut(WrongAnswer):
    """Learner code ran longer than the time limit."""


def is_unanswered(value: Any) -> bool:
    """True for the stubs the exercise build leaves behind (`...` or None)."""
    return value is Ellipsis or value is None


def describe_inputs(args: tuple[Any, ...]) -> str:
    """'an input of shape (4,)' or 'inputs (shape (2, 3), 0.5)': what a message says the function was given."""
    def one(a: Any) -> str:
        if isinstance(a, torch.Tensor):
            return f"shape {tuple(a.shape)}"
        if isinstance(a, (int, float, bool, str)) or a is None:
            return repr(a)[:40]
        return f"a {type(a).__name__}"

    if len(args) == 1 and isinstance(args[0], torch.Tensor):
        return f"an input of shape {tuple(args[0].shape)}"
    return f"inputs ({', '.join(one(a) for a in args[:4])}{', ...' if len(args) > 4 else ''})" if args else "no inputs"


def _function_node(fn: Any) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The learner function's own syntax tree, when its source can be found (not for lambdas or builtins)."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(inspect.unwrap(fn))))
    except (TypeError, OSError, SyntaxError, ValueError):
        return None
    node = tree.body[0] if tree.body else None
    return node if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else None


def _own_nodes(node: ast.AST) -> list[ast.AST]:
    """Nodes of a function body, without those of functions or classes defined inside it."""
    found = []
    for child in ast.iter_child_nodes(node):
        if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            found += [child, *_own_nodes(child)]
    return found


def _returns_a_value(fn: Any) -> bool | None:
    """Whether the function has a `return <something>`; None when its source is unknown."""
    node = _function_node(fn)
    if node is None:
        return None
    return any(isinstance(n, ast.Return) and n.value is not None and not (isinstance(n.value, ast.Constant) and n.value.value is None)
               for n in _own_nodes(node))


def _is_bare_stub(fn: Any) -> bool:
    """True when the body is nothing but `raise NotImplementedError` (after a docstring or comments)."""
    node = _function_node(fn)
    if node is None:
        return True
    body = [s for s in node.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant)) and not isinstance(s, ast.Pass)]
    return all(isinstance(s, ast.Raise) for s in body)


def last_call_changes() -> list[str]:
    """What the last learner call had changed in PyTorch's global state (undone since) — e.g. grad mode left off."""
    return list(_last_changes)


def call_learner(fn: Any, *args: Any, name: str = "your function", none_ok: bool = False, none_hint: str = "",
                 **kwargs: Any) -> Any:
    """Call learner code with the time limit, its state changes undone; every slip becomes feedback, never a traceback."""
    if is_unanswered(fn):
        raise NotAnswered()
    if not callable(fn):
        raise WrongAnswer(f"{name} should be a function, but it is a {type(fn).__name__}.",
                          "Define it with `def` and pass the function itself, without calling it.")
    try:
        with kept_state() as changes:
            result = run_limited(fn, *args, **kwargs)
    except LearnerTimeout:
        raise TimedOut(f"{name} ran for more than {time_limit():g} s on {describe_inputs(args)}: a loop that never ends?",
                       "Run it on a small example in a cell of its own: every loop needs a condition that becomes false.") from None
    except NotImplementedError as exc:
        if str(exc) == STUB_MESSAGE or (not str(exc) and _is_bare_stub(fn)):
            raise NotAnswered() from None
        raise WrongAnswer(f"{name} raised NotImplementedError: {short(exc)}",
                          "A branch of your function still raises it: replace that line with code for that case.") from None
    except (Exception, SystemExit) as exc:  # the learner's bug, reported as feedback
        raise WrongAnswer(f"calling {name} raised {type(exc).__name__}: {short(exc)}",
                          "Run your function on a small example in a cell of its own and read the error.") from None
    _last_changes[:] = changes
    if result is None and not none_ok:
        returns = _returns_a_value(fn)
        if returns is False or (returns is None and not none_hint):
            raise WrongAnswer(f"{name} returned None: did you forget `return`?",
                              "A function without a `return` statement gives None: end it with `return <your result>`.")
        raise WrongAnswer(f"{name} returned None.",
                          none_hint or "One of your `return` statements gave None: print what it returns on a small example.")
    return result


def short(exc: BaseException, limit: int = 160) -> str:
    """The first line of an exception's message, shortened."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else "(no message)"
    return text if len(text) <= limit else text[: limit - 3] + "..."
