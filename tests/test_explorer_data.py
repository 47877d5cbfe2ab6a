"""The explorers' arrays are PyTorch's: values and autograd derivatives, tiled from one period, float16."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from matplotlib import colormaps
from matplotlib.colors import to_rgb

from helpers import explorer_data as data
from helpers.soft_figures import GumbelPlot, gumbel_samples_and_grads
from helpers.soft_functions import autograd_derivative, soft_floor


@pytest.fixture(scope="module")
def soft() -> dict[str, np.ndarray]:
    return data.soft_floor_data()


@pytest.fixture(scope="module")
def gumbel() -> dict[str, np.ndarray]:
    return data.gumbel_data()


def test_slider_values_are_every_stop_of_the_slider() -> None:
    grid = data.slider_values(**data.SHARPNESS)
    assert len(grid) == 150 and grid[0] == 0.2 and grid[-1] == 30.0 and grid[20] == 4.2
    assert np.allclose(np.diff(grid), 0.2)


@pytest.mark.parametrize("approximation", ["sigmoid", "sine"])
@pytest.mark.parametrize("sharpness", [0.2, 4.0, 12.6, 30.0])
def test_tiled_period_is_pytorchs_curve_over_the_whole_x_range(soft: dict, approximation: str, sharpness: float) -> None:
    row = int(np.argmin(np.abs(data.slider_values(**data.SHARPNESS) - sharpness)))
    x, value = data.tile(soft[f"{approximation}_value"][row], -5.0, 5.0, shift_values=True)
    _, grad = data.tile(soft[f"{approximation}_grad"][row], -5.0, 5.0, shift_values=False)
    assert x[0] == -5.0 and x[-1] == 5.0 and np.all(np.diff(x) > 0)
    xt = torch.from_numpy(x)
    # the browser's curve, shifted from one period, is what PyTorch computes directly at every x
    assert np.allclose(value, soft_floor(xt, sharpness, approximation).numpy(), atol=1e-9)
    assert np.allclose(grad, autograd_derivative(lambda t: soft_floor(t, sharpness, approximation), xt).numpy(),
                       rtol=1e-6, atol=1e-9)
    floor_x, floor = data.tile(soft["floor"], -5.0, 5.0, shift_values=True)
    assert np.array_equal(floor, np.floor(floor_x))


def test_floor_and_ste_derivatives_come_from_autograd(soft: dict) -> None:
    assert np.array_equal(soft["floor_grad"], np.zeros(data.PERIOD_POINTS))
    assert np.array_equal(soft["ste_grad"], np.ones(data.PERIOD_POINTS))
    assert soft["sigmoid_grad"].shape == (150, data.PERIOD_POINTS)


def test_the_narrowest_bump_is_sampled_at_its_peak(soft: dict) -> None:
    t = data.period_grid().numpy()
    assert 0.0 in t and -0.5 in t  # the jump of floor and the meeting point of two sigmoid pieces
    for name in ("sigmoid", "sine"):
        peak = soft[f"{name}_grad"][-1]  # sharpness 30
        assert peak.argmax() == int(np.flatnonzero(t == 0.0)[0])
        assert np.isclose(peak.max(), 30 / np.tanh(30) if name == "sigmoid" else 31.0)
        # points across the bump's upper half: the sine's bump is the narrower one
        assert (peak > peak.max() / 2).sum() >= (4 if name == "sigmoid" else 3)


def test_float16_keeps_three_digits_of_every_curve(soft: dict) -> None:
    for key in ("sigmoid_value", "sine_value", "sigmoid_grad", "sine_grad"):
        half = soft[key].astype(np.float16).astype(np.float64)
        assert np.allclose(half, soft[key], rtol=1e-3, atol=1e-3), key


@pytest.mark.parametrize("index", [0, 10, 30, 50])
def test_gumbel_tables_are_seeded_samples_and_autograd_gradients(gumbel: dict, index: int) -> None:
    tau = gumbel["temperatures"][index]
    assert np.isclose(np.log10(tau), data.TEMPERATURE_EXPONENT["min"] + index * data.TEMPERATURE_EXPONENT["step"])
    for hard in (0, 1):
        samples, grads = gumbel_samples_and_grads(float(tau), bool(hard))
        assert np.array_equal(gumbel["samples"][hard, index], samples.numpy())
        assert np.array_equal(gumbel["grads"][hard, index], grads.numpy())
    assert np.array_equal(gumbel["grads"][0, index], gumbel["grads"][1, index])  # hard=True: the soft gradient


def test_gumbel_colours_are_the_matplotlib_figures(gumbel: dict) -> None:
    plot = GumbelPlot()
    plot.update(temperature=float(gumbel["temperatures"][20]), hard=False)
    tables = {"samples": data.colour_table("Blues"), "grads": data.colour_table("RdBu")}
    for image, key in zip(plot.fig.axes, ("samples", "grads")):
        im = image.images[0]
        expected = im.cmap(im.norm(im.get_array()))[..., :3]
        got = np.array([[to_rgb(tables[key][i][0]) for i in row] for row in gumbel[f"{key}_colour"][0, 20]])
        assert np.abs(got - expected).max() < 0.03, key  # one of 256 steps apart at most


def test_colour_table_marks_dark_colours_for_white_text() -> None:
    table = data.colour_table("Blues")
    assert len(table) == 256 and table[0][1] is False and table[-1][1] is True
    assert np.allclose(to_rgb(table[-1][0]), colormaps["Blues"](1.0)[:3], atol=1 / 255)
