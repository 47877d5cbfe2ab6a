"""The course's plot style: a colour-blind-safe palette, and line styles that tell lines apart without colour.

Okabe & Ito's eight colours stay distinct under the common colour-vision deficiencies; each line in the
default cycle also gets its own dash pattern, so a figure reads in greyscale and on a projector too.
Lessons call `use_course_style()` once in their setup cell; figure functions in helpers pick from `PALETTE`.
"""
from __future__ import annotations

import matplotlib as mpl
from cycler import cycler

# Okabe & Ito (2008), "Color Universal Design": black left out of the cycle (kept for reference lines).
PALETTE: dict[str, str] = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "sky": "#56B4E9",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "black": "#000000",
}
CYCLE_COLOURS: list[str] = [PALETTE[k] for k in ("blue", "orange", "green", "vermillion", "sky", "purple")]
CYCLE_DASHES: list[str] = ["-", "--", "-.", ":", (0, (5, 1, 1, 1, 1, 1)), (0, (3, 1, 1, 1))]  # type: ignore[list-item]


def course_rc() -> dict:
    """The rcParams the course sets: palette with line styles, readable sizes."""
    return {
        "axes.prop_cycle": cycler(color=CYCLE_COLOURS) + cycler(linestyle=CYCLE_DASHES),
        "axes.grid": True,
        "grid.alpha": 0.3,
        "font.size": 11,
        "legend.frameon": False,
        "image.cmap": "cividis",
    }


def use_course_style() -> None:
    """Apply the course's plot style to every figure drawn after this call."""
    mpl.rcParams.update(course_rc())
