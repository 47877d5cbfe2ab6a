"""The explorers: figure functions tested without widgets, then the widget wiring driven headlessly."""
from __future__ import annotations

import base64

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

matplotlib.use("Agg")

from helpers.explorer import control, explore_gumbel_softmax, explore_soft_floor, output_of  # noqa: E402
from helpers.soft_figures import (GUMBEL_LOGITS, GUMBEL_VALUES, GumbelPlot, SoftFloorPlot,  # noqa: E402
                                  gumbel_figure, gumbel_samples_and_grads, soft_floor_figure)
from helpers.soft_functions import soft_floor  # noqa: E402

PNG_MAGIC = b"\x89PNG"


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


def _picture(box: object) -> bytes:
    outputs = output_of(box).outputs
    assert len(outputs) == 1, f"expected exactly one output, got {len(outputs)}"
    return base64.b64decode(outputs[0]["data"]["image/png"])


def test_soft_floor_explorer_redraws_one_picture_per_change() -> None:
    ui = explore_soft_floor()
    first = _picture(ui)
    assert first.startswith(PNG_MAGIC)
    control(ui, "sharpness").value = 12.0
    second = _picture(ui)
    assert second.startswith(PNG_MAGIC) and second != first
    control(ui, "approximation").value = "sine"
    control(ui, "x range").value = (-4.0, 1.0)
    assert _picture(ui) != second
    assert plt.get_fignums() == []  # every figure was closed after drawing


def test_gumbel_explorer_redraws_and_has_its_controls() -> None:
    ui = explore_gumbel_softmax()
    first = _picture(ui)
    control(ui, "temperature").value = 0.1
    assert _picture(ui) != first
    control(ui, "hard=True (straight-through)").value = True
    assert _picture(ui).startswith(PNG_MAGIC)
    with pytest.raises(KeyError):
        control(ui, "no such slider")


def test_slider_descriptions_the_browser_test_relies_on() -> None:
    ui = explore_soft_floor()
    assert control(ui, "sharpness").value == 4.0
    assert type(control(ui, "x range")).__name__ == "FloatRangeSlider"
    assert set(control(ui, "approximation").options) == {"sigmoid", "sine"}


def test_an_exception_in_the_callback_is_shown_not_swallowed(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: SoftFloorPlot, **values: object) -> None:
        raise RuntimeError(f"broken figure for {values['sharpness']}")

    monkeypatch.setattr(SoftFloorPlot, "update", broken)
    ui = explore_soft_floor()  # wired to the broken drawing
    shown = output_of(ui).outputs
    assert len(shown) == 1 and shown[0]["name"] == "stderr"
    assert "Traceback" in shown[0]["text"] and "RuntimeError: broken figure for 4.0" in shown[0]["text"]
    control(ui, "sharpness").value = 5.0  # a failing redraw must not raise into the front end either
    assert "broken figure for 5.0" in output_of(ui).outputs[0]["text"]


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


def test_memory_does_not_grow_with_redraws() -> None:
    ui = explore_soft_floor()
    slider = control(ui, "sharpness")
    for k in (1.0, 2.0, 3.0, 4.0, 5.0):
        slider.value = k
    assert plt.get_fignums() == [] and len(output_of(ui).outputs) == 1
    for plot, values in ((SoftFloorPlot(), {"sharpness": 3.0}), (GumbelPlot(), {"temperature": 0.5})):
        counts = []
        for _ in range(3):  # a kept figure must not collect artists from one update to the next
            plot.update(**values)
            counts.append(len(plot.fig.findobj()))
        assert counts[0] == counts[1] == counts[2]
