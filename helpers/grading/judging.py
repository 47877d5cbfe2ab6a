"""The checker's loop over one notebook's exercises: each rule runs on proxies, with its own time limit."""
from __future__ import annotations

import signal
import socket
from typing import Any, Callable

import torch

from helpers.grading.proxies import _MISSING, ChannelClosed, Link, answer_for

_LIMIT = 600  # characters kept of a message: a learner's repr can be huge


class CheckTimeout(BaseException):
    """An exercise's check ran out of time (BaseException: a rule's `except Exception` must not hide it)."""


def judge_all(conn: socket.socket, exercises: list, seed: int, check_timeout: float,
              facts: dict | None = None) -> dict[str, dict]:
    """Judge each exercise through the channel; a hang or a closed channel costs only what it touches.

    With `facts`, also ask the learner's process what its code left behind (threads, processes, patches)."""
    from helpers.checking import run_check

    link = Link(conn, wait=max(check_timeout, 1.0))
    results = {}
    for exercise_id, names in exercises:
        results[exercise_id] = _judge_one(link, run_check, exercise_id, tuple(names), seed, check_timeout)
    if facts is not None:
        try:
            facts.update(link.request({"op": "facts"}))
        except ChannelClosed:
            pass
    return results


def tampering(facts: dict) -> list[str]:
    """Review flags from what the learner's process reported (each one costs the notebook its points)."""
    flags = []
    if facts.get("threads"):
        flags.append("left threads running")
    if isinstance(facts.get("children"), int) and facts["children"] > 0:
        flags.append("left processes running")
    if facts.get("patched"):
        flags.append("replaced library functions (" + ", ".join(str(p) for p in facts["patched"][:3]) + ")")
    return flags


def _judge_one(link: Link, run_check: Callable, exercise_id: str, names: tuple, seed: int, limit: float) -> dict:
    def result(status: str, message: str, hint: str = "") -> dict:
        return {"exercise": exercise_id, "status": status, "message": message[:_LIMIT], "hint": hint[:_LIMIT]}

    def expire(signum: int, frame: Any) -> None:
        raise CheckTimeout()

    old = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        values = {name: answer_for(link, name) for name in names}
        if all(v is _MISSING for v in values.values()):
            listed = ", ".join(f"`{n}`" for n in names)
            return result("not_answered", f"{listed} is not defined after your notebook runs top to bottom.",
                          "Keep the exercise's answer cell, then run the whole notebook from the top to see what is missing.")
        answers = {n: (... if v is _MISSING else v) for n, v in values.items()}
        with torch.random.fork_rng(devices=[]):
            verdict = run_check(exercise_id, answers, seed=seed).as_dict()
        return {k: str(verdict[k])[:_LIMIT] for k in ("exercise", "status", "message", "hint")}
    except CheckTimeout:  # a late reply is skipped by its id; the learner's side stops at the same limit
        return result("failed", f"checking this answer took longer than {limit:g} s and was stopped.",
                      "Look for an endless loop, or work that grows much faster than the input, in your code.")
    except ChannelClosed as closed:
        return result("failed", f"{closed}.",
                      "Your code must not end the Python process, close files it did not open, or hang.")
    except Exception as exc:  # noqa: BLE001  (an answer the channel could not carry: that exercise only)
        return result("error", f"the grader could not read this answer ({type(exc).__name__}: {str(exc)[:200]}).",
                      "Make sure the answer has the form the exercise asks for.")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
