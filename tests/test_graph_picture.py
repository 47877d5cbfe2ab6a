"""draw_graph: the right boxes for small graphs, no overlaps, and a message instead of an exception."""
from __future__ import annotations

import itertools
from typing import Iterator

import matplotlib.pyplot as plt
import pytest
import torch
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch
from matplotlib.text import Text
from torch import nn

from helpers.graph_picture import STYLE, draw_graph


def texts(fig: Figure) -> str:
    """Every piece of text in the figure, legend included."""
    return "\n".join(t.get_text() for t in fig.findobj(Text))


def boxes(fig: Figure) -> list[FancyBboxPatch]:
    return [p for p in fig.axes[0].patches if isinstance(p, FancyBboxPatch)] if fig.axes else []


@pytest.fixture
def draw() -> Iterator:
    figures: list[Figure] = []

    def _draw(root: object, names: dict | None = None) -> Figure:
        figures.append(draw_graph(root, names))
        return figures[-1]

    yield _draw
    for fig in figures:
        plt.close(fig)


def test_linear_graph_has_ops_leaves_and_greyed_input(draw) -> None:
    w, x, b = torch.ones(3, requires_grad=True), torch.ones(3), torch.tensor(0.5, requires_grad=True)
    y = w * x + b
    fig = draw(y, {"w": w, "x": x, "b": b, "y": y})
    text = texts(fig)
    for label in ("MulBackward0", "AddBackward0", "w\nshape (3,)", "b\nscalar ()", "x (no grad)", "y (output)"):
        assert label in text
    faces = {to_hex(p.get_facecolor()) for p in boxes(fig)}
    assert STYLE["leaf"][0] in faces and STYLE["nograd"][0] in faces and STYLE["acc"][0] in faces
    assert len(boxes(fig)) == 8  # w, x, b, AccumulateGrad of w and of b, Mul, Add, y


def test_each_leaf_hangs_below_its_accumulate_grad_node(draw) -> None:
    w, x, b = torch.ones(3, requires_grad=True), torch.ones(3), torch.tensor(0.5, requires_grad=True)
    y = w * x + b
    text = texts(draw(y, {"w": w, "x": x, "b": b, "y": y}))
    assert text.count("AccumulateGrad\n") == 2  # one node per leaf that requires grad, none for x
    assert "AccumulateGrad\ninto w.grad" in text and "AccumulateGrad\ninto b.grad" in text


def test_tensor_used_twice_is_one_box_with_two_arrows(draw) -> None:
    a = torch.tensor(2.0, requires_grad=True)
    fig = draw(a * a, {"a": a})
    assert texts(fig).count("a\nscalar ()") == 1
    arrows = [p for p in fig.axes[0].patches if not isinstance(p, FancyBboxPatch)]
    assert texts(fig).count("AccumulateGrad\n") == 1
    assert len(arrows) == 4  # a -> its AccumulateGrad, AccumulateGrad -> Mul twice, Mul -> output


def test_named_intermediate_is_shown_on_its_node(draw) -> None:
    w = torch.ones(2, requires_grad=True)
    h = w.exp()
    assert "ExpBackward0\ngives h" in texts(draw(h.sum(), {"w": w, "h": h}))


def test_leaf_root_and_no_graph_get_a_figure_not_an_exception(draw) -> None:
    w = torch.ones(2, requires_grad=True)
    assert "is a leaf" in texts(draw(w, {"w": w}))
    assert "has no grad_fn" in texts(draw(torch.ones(2) * 2))
    with torch.no_grad():
        assert "has no grad_fn" in texts(draw(w * 2))
    assert "needs a tensor" in texts(draw([1.0, 2.0]))


def _deep_graph() -> tuple[torch.Tensor, dict]:
    p, q = torch.randn(3, requires_grad=True), torch.randn(3, requires_grad=True)
    u = (p * q).exp()
    t = (u * (p + 1).sin() + p).pow(2).mean()
    for _ in range(5):
        t = t.tanh() * 1.5
    return t, {"p": p, "q": q, "u": u}


def _mlp_graph() -> tuple[torch.Tensor, dict]:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    x = torch.randn(2, 3)
    return model(x).sum(), {**dict(model.named_parameters()), "x": x}


@pytest.mark.parametrize("build", [_deep_graph, _mlp_graph])
def test_boxes_never_overlap_and_labels_fit(draw, build) -> None:
    root, names = build()
    fig = draw(root, names)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    extents = [p.get_window_extent(renderer) for p in boxes(fig)]
    for a, b in itertools.combinations(extents, 2):
        assert not a.overlaps(b)
    labels = [t for t in fig.axes[0].texts if "\n" in t.get_text() or "Backward" in t.get_text()]
    for label in labels:
        box = label.get_window_extent(renderer)
        assert any(e.x0 <= box.x0 and box.x1 <= e.x1 for e in extents), label.get_text()


def test_graph_after_backward_still_draws(draw) -> None:
    w, x = torch.ones(3, requires_grad=True), torch.ones(3)
    y = (w * x).sum()
    y.backward()  # frees the saved tensors the picture would use to name x
    text = texts(draw(y, {"w": w, "x": x}))
    assert "MulBackward0" in text and "no grad" in text


def test_returns_a_figure_without_showing_it(draw) -> None:
    w = torch.ones(2, requires_grad=True)
    assert isinstance(draw((w * 3).sum()), Figure)
