"""judge_predictions: every wrong item named with its own hint; odd answers get messages, not crashes."""
from __future__ import annotations

import pytest
import torch

from helpers.checking import NotAnswered, WrongAnswer
from helpers.predictions import judge_predictions

TRUTH = {"a": True, "b": False, "n": 2.0, "name": "MulBackward0"}
HINTS = {"a": "hint a", "b": "hint b", "n": "hint n", "name": "hint name"}


def judge(answer: object) -> None:
    judge_predictions(answer, TRUTH, HINTS, "answer")


def test_right_answers_pass_including_tensor_forms() -> None:
    judge({"a": True, "b": torch.tensor(False), "n": torch.tensor(2), "name": "MulBackward0"})


def test_template_untouched_is_not_answered() -> None:
    with pytest.raises(NotAnswered):
        judge({k: ... for k in TRUTH})


def test_every_wrong_item_is_named_with_its_hint() -> None:
    with pytest.raises(WrongAnswer) as caught:
        judge({"a": False, "b": False, "n": 3, "name": "MulBackward0"})
    assert "2 of 4 wrong" in caught.value.message
    assert "answer['a'] (you said False)" in caught.value.message
    assert caught.value.hint == "a: hint a n: hint n"


@pytest.mark.parametrize("answer, words", [
    ({"a": True}, "has no entry for 'b'"),
    ({**TRUTH, "z": 1}, "does not ask about: 'z'"),
    ({**TRUTH, "n": ...}, "answer['n'] is still `...`"),
    ({**TRUTH, "a": "yes"}, "should be True or False"),
    ({**TRUTH, "n": "two"}, "should be a number"),
    ({**TRUTH, "name": 3}, "should be a string"),
    ([True, False], "should be a dict"),
])
def test_malformed_answers_get_a_message(answer: object, words: str) -> None:
    with pytest.raises(WrongAnswer, match=words.replace("(", r"\(").replace("[", r"\[").replace("`", ".")):
        judge(answer)
