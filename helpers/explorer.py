"""Slider explorers for lessons 08 and 09: widgets wired to the pictures in soft_figures.

Each explorer keeps one figure (taken out of pyplot's list of open figures, so it is never shown twice
and nothing accumulates) and updates it on every change. The new PNG is swapped into an Output widget
in a single state update (`Output.outputs = (picture,)`): the old picture stays until the new one is
ready (no flicker), there is never more than one (no stacking), it works without a front end (so tests
can drive it), and a failing redraw shows its traceback in place of the picture instead of vanishing.
"""
from __future__ import annotations

import base64
import io
import traceback
from typing import Any, Callable

import ipywidgets as widgets
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from helpers.soft_figures import GumbelPlot, SoftFloorPlot, gumbel_figure, soft_floor_figure
from helpers.soft_functions import APPROXIMATIONS

__all__ = ["explore_soft_floor", "explore_gumbel_softmax", "soft_floor_figure", "gumbel_figure", "control", "output_of"]

WIDE_LABEL = {"description_width": "initial"}  # else ipywidgets cuts "approximation" to "approxim..."
DPI = 80  # 7 x 5.2 inches -> 560 x 416 pixels: readable, and quick to encode
OUTPUT_HEIGHT = "430px"  # fixed, so the page does not jump while a new picture replaces the old one


def _picture(draw: Callable[..., Figure], values: dict[str, Any]) -> dict[str, Any]:
    """One output for draw(**values): the PNG, or the traceback on stderr if drawing failed."""
    try:
        buffer = io.BytesIO()
        # fastest zlib level: 9 ms less per redraw for a PNG only 3% larger (plots compress well anyway)
        draw(**values).savefig(buffer, format="png", dpi=DPI, pil_kwargs={"compress_level": 1})
        text = ", ".join(f"{k}={v}" for k, v in values.items())
        return {"output_type": "display_data", "metadata": {},
                "data": {"image/png": base64.b64encode(buffer.getvalue()).decode("ascii"),
                         "text/plain": f"<figure for {text}>"}}
    except Exception:  # shown where the picture would be: a callback's exception must not vanish
        return {"output_type": "stream", "name": "stderr", "text": traceback.format_exc()}


def _wire(plot: SoftFloorPlot | GumbelPlot, controls: dict[str, widgets.ValueWidget],
          to_kwargs: Callable[[dict[str, Any]], dict[str, Any]]) -> widgets.Output:
    """An Output redrawn from `plot` whenever any control's value changes (and drawn once now)."""
    plt.close(plot.fig)  # pyplot forgets it (inline will not show it at the end of the cell); we keep drawing it
    out = widgets.Output(layout=widgets.Layout(height=OUTPUT_HEIGHT))

    def redraw(change: Any = None) -> None:
        out.outputs = (_picture(plot.update, to_kwargs({name: w.value for name, w in controls.items()})),)

    for w in controls.values():
        w.observe(redraw, names="value")
    redraw()
    return out


def explore_soft_floor(sharpness: float = 4.0, approximation: str = "sigmoid",
                       x_range: tuple[float, float] = (-2.0, 2.0)) -> widgets.VBox:
    """Sliders for the soft floor's sharpness, approximation and x range, above the live figure."""
    controls = {
        "sharpness": widgets.FloatSlider(value=sharpness, min=0.2, max=30.0, step=0.2, description="sharpness",
                                         continuous_update=True, readout_format=".1f", style=WIDE_LABEL),
        "approximation": widgets.Dropdown(options=sorted(APPROXIMATIONS), value=approximation,
                                          description="approximation", style=WIDE_LABEL),
        "x range": widgets.FloatRangeSlider(value=x_range, min=-5.0, max=5.0, step=0.5, description="x range",
                                            readout_format=".1f", style=WIDE_LABEL),
    }

    def to_kwargs(v: dict[str, Any]) -> dict[str, Any]:
        return {"sharpness": v["sharpness"], "approximation": v["approximation"],
                "x_min": v["x range"][0], "x_max": v["x range"][1]}

    out = _wire(SoftFloorPlot(), controls, to_kwargs)
    return widgets.VBox([widgets.HBox([controls["sharpness"], controls["approximation"]]), controls["x range"], out])


def explore_gumbel_softmax(temperature: float = 1.0, hard: bool = False) -> widgets.VBox:
    """A temperature slider and a hard=True switch above seeded F.gumbel_softmax samples and gradients."""
    controls = {
        "temperature": widgets.FloatLogSlider(value=temperature, base=10, min=-1.5, max=1.0, step=0.05,
                                              description="temperature", readout_format=".3g", style=WIDE_LABEL),
        "hard": widgets.Checkbox(value=hard, description="hard=True (straight-through)", style=WIDE_LABEL),
    }
    out = _wire(GumbelPlot(), controls, lambda v: {"temperature": v["temperature"], "hard": v["hard"]})
    return widgets.VBox([widgets.HBox([controls["temperature"], controls["hard"]]), out])


def control(box: widgets.Box, description: str) -> widgets.ValueWidget:
    """The control labelled `description` inside an explorer (for tests and for driving it from code)."""
    for child in box.children:
        if getattr(child, "description", None) == description:
            return child
        if isinstance(child, widgets.Box):
            try:
                return control(child, description)
            except KeyError:
                continue
    raise KeyError(f"no control described {description!r}")


def output_of(box: widgets.Box) -> widgets.Output:
    """The Output widget that holds an explorer's picture."""
    return next(child for child in box.children if isinstance(child, widgets.Output))
