"""Slider explorers for lessons 08 and 09: ipywidgets sliders linked in the browser to a chart that needs no kernel.

The chart (helpers.live_widgets) holds PyTorch's curves for every slider value; `jslink` ties each slider to
it inside the browser, so a slider move never waits on the kernel, and the notebook's stored widget state is
enough to use the explorer with no kernel: once the kernel is shut down, on a static page, on the course website.
The sliders are ipywidgets' own: the arrow keys and the mouse both move them (the browser tests do both).
"""
from __future__ import annotations

import ipywidgets as widgets

from helpers import explorer_data
from helpers.live_widgets import GumbelChart, SoftFloorChart
from helpers.soft_figures import gumbel_figure, soft_floor_figure
from helpers.soft_functions import APPROXIMATIONS

__all__ = ["explore_soft_floor", "explore_gumbel_softmax", "soft_floor_figure", "gumbel_figure", "control", "chart_of"]

WIDE_LABEL = {"description_width": "initial"}  # else ipywidgets cuts "approximation" to "approxim..."


class Explorer(widgets.VBox):
    """Controls above a chart; its text form is one sentence, not a dump of its children."""

    summary = ""
    links: tuple = ()  # the jslinks from each control to the chart (kept so tests can inspect them)

    def __repr__(self) -> str:  # what a reader without a widget front end sees (and what nbval compares)
        return self.summary


def _explorer(rows: list[widgets.Widget], chart: widgets.DOMWidget, links: dict[str, widgets.ValueWidget],
              summary: str) -> Explorer:
    """The explorer box: each control's synced value linked to the chart's trait of the given name."""
    # in the browser, not through the kernel: the links are part of the stored widget state
    made = tuple(widgets.jslink((w, "index" if isinstance(w, widgets.Dropdown) else "value"), (chart, trait))
                 for trait, w in links.items())
    box = Explorer(rows + [chart])
    box.summary, box.links = summary, made
    return box


def explore_soft_floor(sharpness: float = 4.0, approximation: str = "sigmoid",
                       x_range: tuple[float, float] = (-2.0, 2.0)) -> Explorer:
    """Sliders for the soft floor's sharpness, approximation and x range, above the live chart."""
    if approximation not in APPROXIMATIONS:
        raise ValueError(f"unknown approximation {approximation!r}; choose one of {sorted(APPROXIMATIONS)}")
    if not x_range[0] < x_range[1]:
        raise ValueError(f"x_range must go from low to high, got {x_range}")
    s, x = explorer_data.SHARPNESS, explorer_data.X_LIMITS
    sharp = widgets.FloatSlider(value=sharpness, **s, description="sharpness", readout_format=".1f", style=WIDE_LABEL)
    choice = widgets.Dropdown(options=sorted(APPROXIMATIONS), value=approximation, description="approximation",
                              style=WIDE_LABEL)
    span = widgets.FloatRangeSlider(value=x_range, **x, description="x range", readout_format=".1f", style=WIDE_LABEL)
    chart = SoftFloorChart(sharpness=sharp.value, approximation_index=choice.index, x_range=list(span.value))
    return _explorer([widgets.HBox([sharp, choice]), span], chart,
                     {"sharpness": sharp, "approximation_index": choice, "x_range": span},
                     "Soft floor explorer: sliders for sharpness, approximation and x range (run this cell to show them)")


def explore_gumbel_softmax(temperature: float = 1.0, hard: bool = False) -> Explorer:
    """A temperature slider and a hard=True switch above seeded F.gumbel_softmax samples and gradients."""
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    e = explorer_data.TEMPERATURE_EXPONENT
    slider = widgets.FloatLogSlider(value=temperature, base=10, **e, description="temperature",
                                    readout_format=".3g", style=WIDE_LABEL)
    switch = widgets.Checkbox(value=hard, description="hard=True (straight-through)", style=WIDE_LABEL)
    chart = GumbelChart(temperature=slider.value, hard=switch.value)
    return _explorer([widgets.HBox([slider, switch])], chart, {"temperature": slider, "hard": switch},
                     "Gumbel-Softmax explorer: temperature slider and hard=True switch (run this cell to show them)")


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


def chart_of(box: widgets.Box) -> SoftFloorChart | GumbelChart:
    """The chart inside an explorer."""
    return next(child for child in box.children if isinstance(child, (SoftFloorChart, GumbelChart)))
