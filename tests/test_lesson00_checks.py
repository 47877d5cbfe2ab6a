"""Lesson 00's warm-up check: right, wrong-with-hint, and odd answers."""
import torch

from helpers import check


def test_right_answer_passes() -> None:
    assert check("00.1", slope=6.0)
    assert check("00.1", slope=torch.tensor(6.0))


def test_value_instead_of_slope_gets_the_derivative_hint() -> None:
    result = check("00.1", slope=9.0)
    assert result.status == "failed" and "2*x" in result.hint


def test_other_wrong_number_fails() -> None:
    assert check("00.1", slope=3).status == "failed"


def test_text_answer_asks_for_a_number() -> None:
    assert "should be a number" in check("00.1", slope="six").message


import numpy as np  # noqa: E402

# right answers, differently written: run under odd kernel states by tests/test_check_states.py
RIGHT_ANSWERS = {"00.1": [dict(slope=6.0), dict(slope=6), dict(slope=torch.tensor(6.0)), dict(slope=np.int64(6)),
                          dict(slope=np.float32(6.0))]}
