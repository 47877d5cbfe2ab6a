"""Judging "predict what PyTorch says" answers: a dict of predictions compared key by key."""
from __future__ import annotations

from typing import Any

from helpers.checking import NotAnswered, WrongAnswer, is_unanswered
from helpers.guards import as_number, require_bool
from helpers.predictions_reveal import reveal_allowed


_as_number = as_number  # the old private name


def _matches(given: Any, expected: Any, label: str) -> tuple[bool, Any]:
    """Whether one prediction is right, and the prediction as it will be quoted back."""
    if isinstance(expected, bool):
        given = require_bool(given, label)
        return given == expected, given
    if isinstance(expected, (int, float)):
        number = _as_number(given)
        if number is None:
            raise WrongAnswer(f"{label} should be a number, but it is {given!r}.", "Write a plain number such as 0 or 2.0.")
        return abs(number - expected) <= 1e-6 * (1 + abs(expected)), number
    if expected is None:
        return given is None, given
    if isinstance(expected, str) and not isinstance(given, str):
        raise WrongAnswer(f"{label} should be a string, a name in quotes, but it is {given!r}.",
                          "Write the name in quotes, exactly as PyTorch prints it.")
    return given == expected, given


def judge_predictions(answer: Any, truth: dict[str, Any], hints: dict[str, str], name: str) -> None:
    """A dict of predictions must match `truth` key by key; each wrong key gets its own hint."""
    if is_unanswered(answer) or (isinstance(answer, dict) and answer and all(v is Ellipsis for v in answer.values())):
        raise NotAnswered()
    keys = ", ".join(repr(k) for k in truth)
    if not isinstance(answer, dict):
        raise WrongAnswer(f"{name} should be a dict with the keys {keys}, but it is a {type(answer).__name__}.",
                          "Copy the template from the exercise and fill in every value.")
    missing = [k for k in truth if k not in answer]
    if missing:
        raise WrongAnswer(f"{name} has no entry for {', '.join(repr(k) for k in missing)}.",
                          "Keep every key of the template exactly as written and fill in each value.")
    extra = [k for k in answer if k not in truth]
    if extra:
        raise WrongAnswer(f"{name} has keys the question does not ask about: {', '.join(repr(k) for k in extra)}.",
                          f"Use exactly the keys {keys}.")
    blank = [k for k in truth if answer[k] is Ellipsis]
    if blank:
        raise WrongAnswer(f"{name}[{blank[0]!r}] is still `...`.", "Replace every `...` with your prediction.")
    wrong = []
    for key, expected in truth.items():
        right, given = _matches(answer[key], expected, f"{name}[{key!r}]")
        if not right:
            wrong.append((key, given))
    if wrong:  # every wrong item at once, each with the hint aimed at its own misconception
        if reveal_allowed():  # a second attempt (or reveal=True): PyTorch's values too
            said = ", ".join(f"{name}[{k!r}] (you said {g!r}, PyTorch says {truth[k]!r})" for k, g in wrong)
            after = ""
        else:  # a first attempt: which entries, and why, but not the answers themselves
            said = ", ".join(f"{name}[{k!r}] (you said {g!r})" for k, g in wrong)
            after = " Fix them and check again; PyTorch's own values show from the second wrong attempt, or with reveal=True."
        raise WrongAnswer(f"{len(wrong)} of {len(truth)} wrong: {said}.{after}", " ".join(f"{k}: {hints[k]}" for k, _ in wrong))
