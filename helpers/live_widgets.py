"""The explorers' charts as anywidgets that draw in the browser from arrays PyTorch computed once.

Nothing here runs per slider move: the chart holds every curve for every slider value (helpers.explorer_data)
and JavaScript looks the current one up and draws it (uPlot, vendored from npm in helpers/vendor/uplot).
Its state lives in the notebook, so the charts keep working with no kernel, on a static page and on the
course website.
"""
from __future__ import annotations

import base64
from functools import cache
from pathlib import Path

import anywidget
import numpy as np
import traitlets

from helpers import explorer_data
from helpers.soft_figures import STYLES  # the matplotlib figure's looks, so both pictures agree

HERE = Path(__file__).parent
WIDTH = 700  # pixels, as wide as the static figure (7 inches at 100 dpi)
# matplotlib's line styles as canvas dash patterns (pixels on, off)
DASHES = {"-": None, "--": [8, 5], ":": [2, 3]}


def _source(*names: str) -> str:
    return "\n".join((HERE / name).read_text() for name in names)


def _pack(arrays: dict[str, np.ndarray], dtype: str) -> tuple[str, dict[str, list]]:
    """Arrays laid end to end as base64 of `dtype`, with each one's [offset in elements, shape]."""
    layout, offset = {}, 0
    for name, array in arrays.items():
        layout[name] = [offset, list(array.shape)]
        offset += array.size
    flat = np.concatenate([np.asarray(a).ravel() for a in arrays.values()]).astype(dtype)
    return base64.b64encode(flat.tobytes()).decode("ascii"), layout


@cache
def soft_floor_payload() -> tuple[str, dict]:
    """The soft floor chart's data (base64 float16) and its description, computed once per process."""
    data, layout = _pack(explorer_data.soft_floor_data(), "<f2")
    styles = {key: {"colour": s["color"], "width": round(1.4 * s["lw"], 1), "dash": DASHES[s["ls"]]} for key, s in STYLES.items()}
    spec = {"arrays": layout, "approximations": sorted(explorer_data.APPROXIMATIONS), "styles": styles,
            "sharpness": explorer_data.SHARPNESS, "width": WIDTH, "top_height": 280, "bottom_height": 240}
    return data, spec


@cache
def gumbel_payload() -> tuple[str, str, dict]:
    """The Gumbel chart's values (base64 float16), colour indices (base64 uint8) and description."""
    d = explorer_data.gumbel_data()
    data, layout = _pack({"samples": d["samples"], "grads": d["grads"]}, "<f2")
    colours, _ = _pack({"samples": d["samples_colour"], "grads": d["grads_colour"]}, "u1")
    spec = {"arrays": layout, "exponent": explorer_data.TEMPERATURE_EXPONENT, "labels": explorer_data.gumbel_labels(),
            "blues": explorer_data.colour_table("Blues"), "rdbu": explorer_data.colour_table("RdBu"), "width": WIDTH}
    return data, colours, spec


class _Chart(anywidget.AnyWidget):
    """A chart whose only link to the kernel is its state: sliders drive it through jslink, in the browser."""

    _css = _source("vendor/uplot/uPlot.min.css", "js/explorer.css")
    spec = traitlets.Dict().tag(sync=True)
    data = traitlets.Unicode().tag(sync=True)
    summary = "an explorer"

    def __repr__(self) -> str:
        return f"{self.summary} chart"


class SoftFloorChart(_Chart):
    """Floor vs the soft floor and the three derivatives by autograd, for the linked sliders' values."""

    _esm = _source("vendor/uplot/uPlot.iife.min.js", "js/arrays.js", "js/soft_floor.js")
    sharpness = traitlets.Float(4.0).tag(sync=True)
    approximation_index = traitlets.Int(0).tag(sync=True)
    x_range = traitlets.List(traitlets.Float(), default_value=[-2.0, 2.0]).tag(sync=True)
    summary = "Soft floor explorer (sharpness, approximation, x range)"

    def __init__(self, **kwargs: object) -> None:
        data, spec = soft_floor_payload()
        super().__init__(data=data, spec=spec, **kwargs)


class GumbelChart(_Chart):
    """Seeded F.gumbel_softmax samples and their gradients for the linked temperature and hard switch."""

    _esm = _source("js/arrays.js", "js/gumbel.js")
    colours = traitlets.Unicode().tag(sync=True)
    temperature = traitlets.Float(1.0).tag(sync=True)
    hard = traitlets.Bool(False).tag(sync=True)
    summary = "Gumbel-Softmax explorer (temperature, hard=True)"

    def __init__(self, **kwargs: object) -> None:
        data, colours, spec = gumbel_payload()
        super().__init__(data=data, colours=colours, spec=spec, **kwargs)
