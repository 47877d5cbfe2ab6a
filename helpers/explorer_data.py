"""What the kernel-free explorers draw, computed by PyTorch once for every slider value (no widgets here).

The browser never computes a curve: it looks up the arrays made here. They are stored as float16 (half the
bytes of float32, three significant digits: more than a chart of 700 pixels shows), so each explorer's
embedded data stays below 300 KB (258 KB for the soft floor, 20 KB for Gumbel-Softmax, in base64).

The soft floors repeat with period 1 (soft(x + 1) = soft(x) + 1, so their derivatives are periodic), and so
do floor, the straight-through floor and their derivatives: one period, finely sampled, holds every curve.
The browser shifts it by whole numbers to fill the x range; `tile` does the same in Python so a test can
compare the tiles with PyTorch over the whole range.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import torch
from matplotlib import colormaps
from matplotlib.colors import Normalize, SymLogNorm

from helpers.soft_figures import GRAD_COLOUR_LIMIT, GUMBEL_LOGITS, GUMBEL_VALUES, gumbel_samples_and_grads
from helpers.soft_functions import APPROXIMATIONS, autograd_derivative, soft_floor, ste_floor

# the explorer's sliders: every value they can take has its curves here
SHARPNESS = dict(min=0.2, max=30.0, step=0.2)
X_LIMITS = dict(min=-5.0, max=5.0, step=0.5)
TEMPERATURE_EXPONENT = dict(min=-1.5, max=1.0, step=0.05)  # temperature = 10 ** exponent
PERIOD_POINTS = 160  # per unit of x: 3-4 points across the upper half of the narrowest bumps; 0 and -0.5 on it


@contextmanager
def _one_thread() -> Iterator[None]:
    """Tensors this small gain nothing from a second thread, only waits (5x slower on a busy machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def slider_values(min: float, max: float, step: float) -> np.ndarray:
    """Every value a slider with this min, max and step can take (float64, rounded like the readout)."""
    count = int(round((max - min) / step)) + 1
    return np.round(min + step * np.arange(count), 10)


def period_grid() -> torch.Tensor:
    """x in [-0.5, 0.5): one period of every curve, with the jump of floor at 0 on the grid (float64)."""
    return -0.5 + torch.arange(PERIOD_POINTS, dtype=torch.float64) / PERIOD_POINTS


def soft_floor_data() -> dict[str, np.ndarray]:
    """One period of floor, the soft floors and all derivatives by autograd, per approximation and sharpness."""
    with _one_thread():
        return _soft_floor_data(period_grid())


def _soft_floor_data(t: torch.Tensor) -> dict[str, np.ndarray]:
    data = {"t": t.numpy(), "floor": torch.floor(t).numpy(),
            "floor_grad": autograd_derivative(torch.floor, t).numpy(),
            "ste_grad": autograd_derivative(ste_floor, t).numpy()}
    for name in sorted(APPROXIMATIONS):
        rows = [(soft_floor(t, k, name), autograd_derivative(lambda x: soft_floor(x, k, name), t))
                for k in slider_values(**SHARPNESS).tolist()]
        data[f"{name}_value"] = torch.stack([value for value, _ in rows]).numpy()  # (sharpness, point)
        data[f"{name}_grad"] = torch.stack([grad for _, grad in rows]).numpy()
    return data


def tile(period: np.ndarray, x_min: float, x_max: float, shift_values: bool) -> tuple[np.ndarray, np.ndarray]:
    """The curve over [x_min, x_max] from one period: x = j + t, value + j if shift_values (as the browser does)."""
    t = period_grid().numpy()
    xs, ys = [], []
    for j in range(int(np.floor(x_min)) - 1, int(np.ceil(x_max)) + 2):
        keep = (j + t >= x_min) & (j + t <= x_max)
        xs.append(j + t[keep])
        ys.append(period[keep] + (j if shift_values else 0))
    return np.concatenate(xs), np.concatenate(ys)


def colour_table(name: str) -> list[list]:
    """256 colours of a matplotlib colormap as [hex, text should be white] pairs (as GumbelPlot colours them)."""
    rgb = colormaps[name](np.linspace(0, 1, 256))[:, :3]
    dark = rgb @ np.array([0.299, 0.587, 0.114]) < 0.5
    return [["#%02x%02x%02x" % tuple(int(round(255 * c)) for c in row), bool(d)] for row, d in zip(rgb, dark)]


def gumbel_data(n_samples: int = 6, seed: int = 0) -> dict[str, np.ndarray]:
    """Seeded samples and their gradients by autograd, per hard (0, 1) and temperature, with colour indices."""
    temperatures = 10.0 ** slider_values(**TEMPERATURE_EXPONENT)
    norms = {"samples": Normalize(0.0, 1.0),
             "grads": SymLogNorm(linthresh=0.05, vmin=-GRAD_COLOUR_LIMIT, vmax=GRAD_COLOUR_LIMIT)}
    data: dict[str, np.ndarray] = {"temperatures": temperatures}
    for key in norms:
        data[key] = np.zeros((2, len(temperatures), n_samples, len(GUMBEL_LOGITS)))
    with _one_thread():
        for hard in (0, 1):
            for i, tau in enumerate(temperatures.tolist()):
                data["samples"][hard, i], data["grads"][hard, i] = (
                    v.numpy() for v in gumbel_samples_and_grads(tau, bool(hard), n_samples, seed))
    for key, norm in norms.items():  # colours chosen here, with the matplotlib figure's own norms
        scaled = np.asarray(norm(data[key].ravel())).reshape(data[key].shape)  # SymLogNorm takes 1-D only
        data[f"{key}_colour"] = np.clip(np.round(scaled * 255), 0, 255).astype(np.uint8)
    return data


def gumbel_labels(n_samples: int = 6) -> dict[str, list[str]]:
    """Row and column headings of the Gumbel tables, as in the matplotlib figure."""
    probs = torch.softmax(torch.tensor(GUMBEL_LOGITS), 0).tolist()
    return {"rows": [f"sample {i + 1}" for i in range(n_samples)],
            "columns": [f"class {j}: logit {z:g}, p {p:.2f}" for j, (z, p) in enumerate(zip(GUMBEL_LOGITS, probs))],
            "values": [f"{v:g}" for v in GUMBEL_VALUES]}
