"""Graphs a check hands to a learner's function: rebuilt in the learner's process by replaying their operations.

A tensor with a graph cannot cross as data (its grad_fn nodes live in the checker). Most graphs a check
builds are short chains of torch functions, so the checker describes one as steps from its leaves and the
learner's side replays them on its copies of those leaves. A recipe is used only if replaying it here
gives the same values and the same node types; otherwise the tensor crosses as a plain leaf.
"""
from __future__ import annotations

import re
from typing import Any, Callable

import torch


def graph_steps(root: torch.Tensor, leaf_id: Callable[[torch.Tensor], int]) -> list | None:
    """A recipe that rebuilds `root`'s autograd graph from its leaves (node types and sharing kept), or None.

    Steps: ("leaf", id) | ("const", tensor) | ("op", torch function name, [step indices]). Only recipes
    whose replay gives the same values and the same graph are used."""
    steps: list = []
    memo: dict[Any, int] = {}

    def visit(node: Any) -> int:
        if node in memo:
            return memo[node]
        name = type(node).__name__
        if name == "AccumulateGrad":
            steps.append(("leaf", leaf_id(node.variable)))
        else:
            op = re.sub(r"Backward\d*$", "", name).lower()
            if not hasattr(torch, op) or len(node.next_functions) > 2:
                raise LookupError(name)
            args = []
            for position, (child, _) in enumerate(node.next_functions):
                if child is not None:
                    args.append(visit(child))
                    continue
                saved = getattr(node, ("_saved_self", "_saved_other")[position], None)
                if not isinstance(saved, torch.Tensor):
                    raise LookupError(name)
                steps.append(("const", saved.detach().clone()))
                args.append(len(steps) - 1)
            steps.append(("op", op, args))
        memo[node] = len(steps) - 1
        return memo[node]

    try:
        visit(root.grad_fn)
        return steps if _same_graph(root, replay(steps, _leaf_finder(root))) else None
    except (LookupError, RuntimeError, TypeError, ValueError):
        return None


def replay(steps: list, leaf: Callable[[int], torch.Tensor]) -> torch.Tensor:
    """Run a graph recipe (the learner's side does the same with its copies of the leaves)."""
    values: list = []
    for step in steps:
        if step[0] == "leaf":
            values.append(leaf(step[1]))
        elif step[0] == "const":
            values.append(step[1])
        else:
            values.append(getattr(torch, step[1])(*[values[i] for i in step[2]]))
    return values[-1]


def _leaf_finder(root: torch.Tensor) -> Callable[[int], torch.Tensor]:
    found: dict[int, torch.Tensor] = {}
    stack, seen = [root.grad_fn], set()
    while stack:
        node = stack.pop()
        if node is not None and node not in seen:
            seen.add(node)
            if type(node).__name__ == "AccumulateGrad":
                found[id(node.variable)] = node.variable
            stack += [child for child, _ in node.next_functions]
    return lambda rid: found[rid]


def _names(t: torch.Tensor) -> list[str]:
    seen, stack = {}, [t.grad_fn]
    while stack:
        node = stack.pop()
        if node is not None and node not in seen:
            seen[node] = type(node).__name__
            stack += [child for child, _ in node.next_functions]
    return sorted(seen.values())


def _same_graph(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.shape == b.shape and torch.allclose(a.detach(), b.detach(), equal_nan=True) and _names(a) == _names(b)
