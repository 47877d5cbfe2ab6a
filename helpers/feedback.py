"""What a learner sees after a check: one small, deterministic result object."""
from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Literal

Status = Literal["passed", "failed", "not_answered", "error", "interrupted"]

_STYLE = {
    # status: (label, JupyterLab theme colour, today's text colour, today's background): the fallbacks are
    # what a page without JupyterLab's CSS variables shows (nbviewer, VS Code, an exported HTML file)
    "passed": ("Correct", "--jp-success-color1", "#1b5e20", "#e8f5e9"),
    "failed": ("Not yet", "--jp-error-color1", "#b71c1c", "#ffebee"),
    "not_answered": ("Not answered yet", "--jp-warn-color1", "#5d4037", "#fff8e1"),
    "error": ("Check error", "--jp-brand-color1", "#4a148c", "#f3e5f5"),
    "interrupted": ("Interrupted", "--jp-border-color1", "#37474f", "#eceff1"),
}
_CODE = re.compile(r"`([^`]+)`")


def _html_text(text: str) -> str:
    """Escaped text in which `code` spans become <code> elements."""
    return _CODE.sub(r"<code>\1</code>", html.escape(text))


def _box_style(theme: str, colour: str, background: str) -> str:
    """Inline CSS: today's colours first, then the same properties following JupyterLab's theme.

    JupyterLab shows a stored output of a notebook it has not run (untrusted) through its sanitizer, which
    drops every declaration using var() or color-mix(): the literal ones before them keep that box readable
    (today's light box, in either theme). A fresh output keeps all, and the later declarations win: the theme's
    status colour on the border, tinting the theme's own background. Without JupyterLab's variables (nbviewer,
    VS Code, exported HTML) both colours of the mix are today's background, so the box looks as it always did.
    """
    today = f"border-left:4px solid {colour};background:{background};color:{colour};padding:6px 10px;" \
            "font-family:sans-serif"
    tint = f"color-mix(in srgb, var({theme}, {background}) 15%, var(--jp-layout-color1, {background}))"
    themed = f"border-left-color:var({theme}, {colour});background:{tint};" \
             f"color:var(--jp-content-font-color1, {colour});font-family:var(--jp-ui-font-family, sans-serif)"
    return f"{today};{themed}"


@dataclass(frozen=True)
class CheckResult:
    """The verdict of one check: truthy only when the answer passed."""

    exercise: str
    status: Status
    message: str
    hint: str = ""

    @property
    def passed(self) -> bool:
        """True when the answer is right."""
        return self.status == "passed"

    def __bool__(self) -> bool:
        return self.passed

    def text(self) -> str:
        """The full plain-text feedback, hint included."""
        label = _STYLE[self.status][0]
        line = f"[{label}] {self.exercise}: {self.message}"
        return f"{line} Hint: {self.hint}" if self.hint else line

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        label, theme, colour, background = _STYLE[self.status]
        hint = f"<br><b>Hint:</b> {_html_text(self.hint)}" if self.hint else ""
        return (
            f'<div style="{_box_style(theme, colour, background)}">'
            f"<b>{label}</b> &middot; exercise {html.escape(self.exercise)}: "
            f"{_html_text(self.message)}{hint}</div>"
        )

    def as_dict(self) -> dict[str, str]:
        """A JSON-ready form, for the grader's report."""
        return {"exercise": self.exercise, "status": self.status, "message": self.message, "hint": self.hint}
