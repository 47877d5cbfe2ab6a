"""The explorers' pictures: plain functions of the slider values (no widgets here, so tests need none).

Each picture is a small class that builds its figure once and `update`s it for new values; the plain
functions build a fresh one. The explorers keep one figure and update it, which halves the redraw
time (no new axes, ticks or texts per slider move). Every derivative drawn is computed by autograd.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.colors import Normalize, SymLogNorm
from matplotlib.figure import Figure

from helpers.plot_style import PALETTE
from helpers.soft_functions import APPROXIMATIONS, autograd_derivative, seeded_gumbel_softmax, soft_floor, ste_floor

POINTS = 801  # enough for a smooth curve at sharpness 30 on a width of 10, cheap enough to redraw fast
GUMBEL_LOGITS = (1.5, 0.5, 0.0, -1.0)
GUMBEL_VALUES = (0.0, 1.0, 2.0, 3.0)  # the downstream loss is sample . values: "how much is the pick worth"
GRAD_COLOUR_LIMIT = 5.0  # one colour scale for all temperatures; gradients beyond +-5 get the darkest colour
# fixed margins instead of tight_layout, which costs about as much as drawing the whole figure again
FLOOR_LAYOUT = {"height_ratios": (3, 2), "left": 0.09, "right": 0.98, "top": 0.94, "bottom": 0.09, "hspace": 0.16}
GUMBEL_LAYOUT = {"left": 0.12, "right": 0.98, "top": 0.94, "bottom": 0.06, "hspace": 0.45}
# one look per curve in every panel, in this figure and in the browser explorer: colour-blind-safe colours
# (course palette) and a dash pattern each, so the curves stay apart in greyscale too
STYLES = {"floor": {"color": PALETTE["black"], "ls": ":", "lw": 1.5},
          "ste": {"color": PALETTE["vermillion"], "ls": "--", "lw": 1.5},
          "soft": {"color": PALETTE["blue"], "ls": "-", "lw": 2.0}}


class SoftFloorPlot:
    """Top: floor and a soft floor; bottom: the derivatives of floor, the STE and the soft floor."""

    def __init__(self) -> None:
        self.fig, (self.top, self.bottom) = plt.subplots(2, 1, figsize=(7, 5.2), sharex=True, gridspec_kw=FLOOR_LAYOUT)
        self.floor = self.top.plot([], [], **STYLES["floor"], label="floor(x)")[0]
        self.soft = self.top.plot([], [], **STYLES["soft"], label="soft floor")[0]
        self.grads = [self.bottom.plot([], [], **STYLES[key], label=key)[0] for key in ("floor", "ste", "soft")]
        self.top.set_ylabel("value")
        self.top.set_title("floor vs soft floor (top) and their derivatives by autograd (bottom)", fontsize=10)
        self.bottom.set(xlabel="x", ylabel="d/dx")
        self.top.legend(loc="upper left", fontsize=8, framealpha=0.9)
        # above the panel, not inside it: the derivative's peaks sit wherever a legend box would go
        self.bottom.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=3, fontsize=8, frameon=False)
        for ax in (self.top, self.bottom):
            ax.grid(alpha=0.3)

    def update(self, sharpness: float = 4.0, approximation: str = "sigmoid",
               x_min: float = -2.0, x_max: float = 2.0) -> Figure:
        """Redraw for these values; returns the figure."""
        if approximation not in APPROXIMATIONS:
            raise ValueError(f"unknown approximation {approximation!r}; choose one of {sorted(APPROXIMATIONS)}")
        if not x_min < x_max:
            raise ValueError(f"x_min must be below x_max, got {x_min} and {x_max}")
        x = torch.linspace(x_min, x_max, POINTS, dtype=torch.float64)
        grads = [autograd_derivative(torch.floor, x), autograd_derivative(ste_floor, x),
                 autograd_derivative(lambda t: soft_floor(t, sharpness, approximation), x)]
        labels = ["floor (autograd: 0)", "straight-through floor (1)", f"soft floor ({approximation})"]
        xs = x.numpy()  # matplotlib walks a tensor element by element: numpy is much faster
        self.floor.set_data(xs, np.floor(xs))
        self.soft.set_data(xs, soft_floor(x, sharpness, approximation).numpy())
        self.soft.set_label(f"soft floor: {approximation}, sharpness {sharpness:g}")
        for line, grad, label in zip(self.grads, grads, labels):
            line.set_data(xs, grad.numpy())
            line.set_label(label)
        for ax, lines in ((self.top, [self.floor, self.soft]), (self.bottom, self.grads)):
            for text, line in zip(ax.get_legend().get_texts(), lines):
                text.set_text(line.get_label())
        self.top.relim()
        self.top.autoscale_view()
        peak = max(1.2, max(float(g.max()) for g in grads))
        self.bottom.set_ylim(-0.15 * peak, 1.1 * peak)
        return self.fig


def soft_floor_figure(sharpness: float = 4.0, approximation: str = "sigmoid",
                      x_min: float = -2.0, x_max: float = 2.0) -> Figure:
    """Top: floor and a soft floor; bottom: their derivatives and the STE's, all by autograd."""
    return _fresh(SoftFloorPlot(), sharpness, approximation, x_min, x_max)


def gumbel_samples_and_grads(temperature: float, hard: bool = False, n_samples: int = 6,
                             seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Seeded F.gumbel_softmax samples of GUMBEL_LOGITS and, per sample, d(sample . values)/d logits."""
    logits = torch.tensor(GUMBEL_LOGITS).repeat(n_samples, 1).requires_grad_(True)  # one row per sample
    y = seeded_gumbel_softmax(logits, tau=temperature, hard=hard, seed=seed)
    (y * torch.tensor(GUMBEL_VALUES)).sum().backward()  # rows are independent: each row's grad is its own
    return y.detach(), logits.grad


class GumbelPlot:
    """Top: seeded F.gumbel_softmax samples; bottom: each sample's gradient wrt the logits (numbers in cells)."""

    def __init__(self, n_samples: int = 6) -> None:
        self.fig, axes = plt.subplots(2, 1, figsize=(7, 5.2), gridspec_kw=GUMBEL_LAYOUT)
        probs = torch.softmax(torch.tensor(GUMBEL_LOGITS), 0).tolist()
        classes = [f"class {j}: logit {z:g}" for j, z in enumerate(GUMBEL_LOGITS)]
        columns = ([f"{c}\np {p:.2f}" for c, p in zip(classes, probs)], [c.split(":")[0] for c in classes])
        norms = (Normalize(0.0, 1.0), SymLogNorm(linthresh=0.05, vmin=-GRAD_COLOUR_LIMIT, vmax=GRAD_COLOUR_LIMIT))
        blank = np.zeros((n_samples, len(GUMBEL_LOGITS)))
        self.images, self.texts = [], []
        for ax, cmap, norm, labels in zip(axes, ("Blues", "RdBu"), norms, columns):
            self.images.append(ax.imshow(blank, cmap=cmap, norm=norm, aspect="auto"))
            self.texts.append([[ax.text(col, row, "", ha="center", va="center", fontsize=8) for col in range(blank.shape[1])]
                               for row in range(n_samples)])
            ax.set_yticks(range(n_samples), [f"sample {i + 1}" for i in range(n_samples)], fontsize=8)
            ax.set_xticks(range(blank.shape[1]), labels, fontsize=8)
        axes[1].set_title(f"gradient of (sample . {list(GUMBEL_VALUES)}) wrt the logits", fontsize=10)
        self.top, self.n_samples = axes[0], n_samples

    def update(self, temperature: float = 1.0, hard: bool = False, seed: int = 0) -> Figure:
        """Redraw for this temperature (same seeded noise every time); returns the figure."""
        if not temperature > 0:
            raise ValueError(f"temperature must be positive, got {temperature}")
        values = gumbel_samples_and_grads(temperature, hard, self.n_samples, seed)
        for image, texts, v in zip(self.images, self.texts, values):
            image.set_data(v.numpy())
            rgb = image.cmap(image.norm(v.numpy()))[..., :3]
            dark = rgb @ np.array([0.299, 0.587, 0.114]) < 0.5  # white text on dark cells
            for (row, col), value in np.ndenumerate(v.numpy()):
                label = "0" if value == 0 else f"{value:.2g}" if abs(value) >= 0.005 else "≈0"  # exact 0s stand out
                texts[row][col].set(text=label, color="white" if dark[row, col] else "black")
        hard_text = ", hard=True" if hard else ""
        self.top.set_title(f"{self.n_samples} samples of F.gumbel_softmax(logits, tau={temperature:.3g}{hard_text})", fontsize=10)
        return self.fig


def gumbel_figure(temperature: float = 1.0, hard: bool = False, n_samples: int = 6, seed: int = 0) -> Figure:
    """Top: seeded F.gumbel_softmax samples at this temperature; bottom: their gradients wrt the logits."""
    return _fresh(GumbelPlot(n_samples), temperature, hard, seed)


def _fresh(plot: SoftFloorPlot | GumbelPlot, *values: object) -> Figure:
    """plot.update(*values); if that fails, close the half-made figure so pyplot does not keep it."""
    try:
        return plot.update(*values)
    except Exception:
        plt.close(plot.fig)
        raise
