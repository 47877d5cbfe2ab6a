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


TODAY = {"passed": ("#1b5e20", "#e8f5e9"), "failed": ("#b71c1c", "#ffebee"),
         "not_answered": ("#5d4037", "#fff8e1"), "error": ("#4a148c", "#f3e5f5")}


def test_box_follows_the_theme_with_todays_colours_as_fallbacks() -> None:
    for status, (colour, background) in TODAY.items():
        html = CheckResult("01.1", status, "m")._repr_html_()  # type: ignore[arg-type]
        style = html.split('style="', 1)[1].split('"', 1)[0]
        declarations = style.split(";")
        # what survives JupyterLab's sanitizer (no var()) comes first: today's box, readable in any theme
        literal = [d for d in declarations if "var(" not in d]
        assert literal == [f"border-left:4px solid {colour}", f"background:{background}", f"color:{colour}",
                           "padding:6px 10px", "font-family:sans-serif"]
        assert style.index("var(") > style.index("font-family:sans-serif")  # so the themed ones win
        themed = [d for d in declarations if "var(" in d]
        assert themed[0].startswith("border-left-color:var(--jp-") and themed[0].endswith(f", {colour})")
        assert f"var(--jp-layout-color1, {background})" in themed[1]
        assert themed[2:] == [f"color:var(--jp-content-font-color1, {colour})",
                              "font-family:var(--jp-ui-font-family, sans-serif)"]


def test_code_in_messages_renders_as_code_and_stays_escaped() -> None:
    result = CheckResult("05.3", "failed", "call `x.grad.zero_()` before <b>", "try `a < b` or `c`")
    html = result._repr_html_()
    assert "<code>x.grad.zero_()</code>" in html and "<code>a &lt; b</code>" in html and "<code>c</code>" in html
    assert "`" not in html and "<b>" not in html.replace("<b>Not yet</b>", "").replace("<b>Hint:</b>", "")
    assert repr(result) == "[Not yet] 05.3: call `x.grad.zero_()` before <b> Hint: try `a < b` or `c`"
    assert html == CheckResult("05.3", "failed", "call `x.grad.zero_()` before <b>", "try `a < b` or `c`")._repr_html_()


def test_a_lone_backtick_stays_text() -> None:
    assert "<code>" not in CheckResult("01.1", "failed", "a ` b")._repr_html_()
