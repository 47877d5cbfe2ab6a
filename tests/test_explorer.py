"""The explorers: static figures (plain functions of the slider values) and the widgets that link sliders to charts."""
from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

matplotlib.use("Agg")

import ipywidgets as widgets  # noqa: E402

from helpers.explorer import chart_of, control, explore_gumbel_softmax, explore_soft_floor  # noqa: E402
from helpers.explorer_data import SHARPNESS, TEMPERATURE_EXPONENT, X_LIMITS, slider_values  # noqa: E402
from helpers.live_widgets import GumbelChart, SoftFloorChart  # noqa: E402
from helpers.soft_figures import (GUMBEL_LOGITS, GUMBEL_VALUES, GumbelPlot, SoftFloorPlot,  # noqa: E402
                                  gumbel_figure, gumbel_samples_and_grads, soft_floor_figure)
from helpers.soft_functions import soft_floor  # noqa: E402

@pytest.fixture(autouse=True)
def no_figures_left_open() -> None:
    plt.close("all")
    yield
    plt.close("all")


def _lines(ax: matplotlib.axes.Axes) -> dict[str, np.ndarray]:
    return {line.get_label(): np.asarray(line.get_ydata()) for line in ax.lines}


@pytest.mark.parametrize("approximation", ["sigmoid", "sine"])
def test_soft_floor_figure_draws_values_and_autograd_derivatives(approximation: str) -> None:
    fig = soft_floor_figure(sharpness=6.0, approximation=approximation, x_min=-1.5, x_max=2.5)
    top, bottom = fig.axes
    assert len(fig.axes) == 2
    x = np.asarray(top.lines[0].get_xdata())
    assert x[0] == -1.5 and x[-1] == 2.5
    values = _lines(top)
    assert np.array_equal(values["floor(x)"], np.floor(x))
    soft = soft_floor(torch.from_numpy(x), 6.0, approximation).numpy()
    assert np.allclose(values[f"soft floor: {approximation}, sharpness 6"], soft)
    grads = _lines(bottom)
    assert np.array_equal(grads["floor (autograd: 0)"], np.zeros_like(x))
    assert np.array_equal(grads["straight-through floor (1)"], np.ones_like(x))
    xt = torch.from_numpy(x).requires_grad_(True)
    soft_floor(xt, 6.0, approximation).sum().backward()  # autograd is the oracle for the drawn derivative
    assert np.allclose(grads[f"soft floor ({approximation})"], xt.grad.numpy())
    assert bottom.get_ylim()[1] >= grads[f"soft floor ({approximation})"].max()


def test_soft_floor_figure_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="approximation"):
        soft_floor_figure(approximation="cubic")
    with pytest.raises(ValueError, match="x_min"):
        soft_floor_figure(x_min=1.0, x_max=1.0)


@pytest.mark.parametrize("hard", [False, True])
def test_gumbel_figure_shows_seeded_samples_and_their_gradients(hard: bool) -> None:
    fig = gumbel_figure(temperature=0.5, hard=hard)
    top, bottom = fig.axes
    samples, grads = gumbel_samples_and_grads(0.5, hard)
    assert np.array_equal(top.images[0].get_array(), samples.numpy())
    assert np.array_equal(bottom.images[0].get_array(), grads.numpy())
    assert samples.shape == (6, len(GUMBEL_LOGITS))
    assert torch.allclose(samples.sum(1), torch.ones(6))
    if hard:  # exactly one-hot forward, and the same gradients as the soft samples (straight-through)
        assert set(samples.unique().tolist()) == {0.0, 1.0}
        assert torch.equal(grads, gumbel_samples_and_grads(0.5, False)[1])


def test_gumbel_gradients_are_autograds_for_each_sample() -> None:
    samples, grads = gumbel_samples_and_grads(2.0, n_samples=3, seed=7)
    values = torch.tensor(GUMBEL_VALUES)
    # d(y . v)/d logits of a softmax at temperature tau is y * (v - y . v) / tau
    expected = samples * (values - (samples * values).sum(1, keepdim=True)) / 2.0
    assert torch.allclose(grads, expected, atol=1e-6)


def test_a_kept_figure_updated_matches_a_fresh_one() -> None:
    plot = SoftFloorPlot()
    plot.update(2.0, "sine", -3.0, 1.0)
    kept = plot.update(9.0, "sigmoid", -1.0, 2.5)
    fresh = soft_floor_figure(9.0, "sigmoid", -1.0, 2.5)
    for a, b in zip(kept.axes, fresh.axes):
        assert [line.get_label() for line in a.lines] == [line.get_label() for line in b.lines]
        for la, lb in zip(a.lines, b.lines):
            assert np.array_equal(la.get_xydata(), lb.get_xydata())
        assert a.get_ylim() == b.get_ylim()
    gumbel = GumbelPlot()
    gumbel.update(0.1, True)
    kept, fresh = gumbel.update(2.0), gumbel_figure(2.0)
    for a, b in zip(kept.axes, fresh.axes):
        assert np.array_equal(a.images[0].get_array(), b.images[0].get_array())
        assert [t.get_text() for t in a.texts] == [t.get_text() for t in b.texts] and a.get_title() == b.get_title()


def test_figure_functions_leave_no_figure_behind_when_they_fail() -> None:
    with pytest.raises(ValueError, match="temperature"):
        gumbel_figure(temperature=0.0)
    assert plt.get_fignums() == []


def test_kept_figures_do_not_collect_artists() -> None:
    for plot, values in ((SoftFloorPlot(), {"sharpness": 3.0}), (GumbelPlot(), {"temperature": 0.5})):
        counts = []
        for _ in range(3):  # a kept figure must not collect artists from one update to the next
            plot.update(**values)
            counts.append(len(plot.fig.findobj()))
        assert counts[0] == counts[1] == counts[2]


def test_curves_are_told_apart_by_dash_as_well_as_colour() -> None:
    _, bottom = soft_floor_figure().axes
    looks = [(line.get_color(), line.get_linestyle()) for line in bottom.lines]
    assert len({colour for colour, _ in looks}) == len({style for _, style in looks}) == 3


def test_soft_floor_explorer_links_each_control_to_its_chart_in_the_browser() -> None:
    ui = explore_soft_floor(sharpness=6.0, approximation="sine", x_range=(-3.0, 1.5))
    chart = chart_of(ui)
    assert isinstance(chart, SoftFloorChart)
    assert (chart.sharpness, chart.approximation_index, chart.x_range) == (6.0, 1, [-3.0, 1.5])
    links = {link.target[1]: link.source for link in ui.links if link.target[0] is chart}
    assert links == {"sharpness": (control(ui, "sharpness"), "value"),
                     "approximation_index": (control(ui, "approximation"), "index"),  # a Dropdown syncs its index
                     "x_range": (control(ui, "x range"), "value")}
    assert control(ui, "approximation").options[chart.approximation_index] == "sine"


def test_gumbel_explorer_links_temperature_and_hard() -> None:
    ui = explore_gumbel_softmax(temperature=0.5, hard=True)
    chart = chart_of(ui)
    assert isinstance(chart, GumbelChart) and (chart.temperature, chart.hard) == (0.5, True)
    links = {link.target[1]: link.source for link in ui.links if link.target[0] is chart}
    assert links == {"temperature": (control(ui, "temperature"), "value"),
                     "hard": (control(ui, "hard=True (straight-through)"), "value")}
    with pytest.raises(KeyError):
        control(ui, "no such slider")


def test_sliders_cover_exactly_the_values_the_charts_hold() -> None:
    ui = explore_soft_floor()
    slider, span = control(ui, "sharpness"), control(ui, "x range")
    grid = slider_values(**SHARPNESS)
    assert (slider.min, slider.max, slider.step) == (grid[0], grid[-1], SHARPNESS["step"])
    assert (span.min, span.max) == (X_LIMITS["min"], X_LIMITS["max"]) and span.step % 0.5 == 0
    temperature = control(explore_gumbel_softmax(), "temperature")
    exponents = slider_values(**TEMPERATURE_EXPONENT)
    assert (temperature.min, temperature.max, temperature.step) == (exponents[0], exponents[-1], TEMPERATURE_EXPONENT["step"])


def test_explorers_reject_bad_arguments_with_a_message() -> None:
    with pytest.raises(ValueError, match="approximation"):
        explore_soft_floor(approximation="cubic")
    with pytest.raises(ValueError, match="x_range"):
        explore_soft_floor(x_range=(1.0, -1.0))
    with pytest.raises(ValueError, match="temperature"):
        explore_gumbel_softmax(temperature=0.0)


@pytest.mark.parametrize("make", [explore_soft_floor, explore_gumbel_softmax])
def test_the_stored_text_of_an_explorer_is_one_short_sentence(make: object) -> None:
    bundle = make()._repr_mimebundle_()
    text = bundle["text/plain"]
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "children=" not in text and "explorer" in text and len(text) <= 110  # ipywidgets cuts longer ones

