"""CheckResult: truthiness, one-line plain repr, deterministic HTML."""
from helpers.feedback import CheckResult


def test_only_passed_is_truthy() -> None:
    assert CheckResult("01.1", "passed", "ok")
    for status in ("failed", "not_answered", "error"):
        assert not CheckResult("01.1", status, "m")  # type: ignore[arg-type]


def test_repr_is_one_plain_line_with_hint() -> None:
    text = repr(CheckResult("01.1", "failed", "w.requires_grad is False.", "Pass requires_grad=True."))
    assert text == "[Not yet] 01.1: w.requires_grad is False. Hint: Pass requires_grad=True."
    assert "\n" not in text


def test_html_escapes_learner_text_and_is_stable() -> None:
    result = CheckResult("01.1", "failed", "got <script>", "x < y")
    html = result._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert html == result._repr_html_()
