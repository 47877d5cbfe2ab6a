"""Draw the autograd graph behind a tensor with matplotlib alone (no graphviz binary needed)."""
from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Patch

from helpers.plot_style import PALETTE

# kind: (face colour, edge colour, line style, text colour); one place to restyle the picture.
# Edges from the course palette (colour-blind safe); kinds differ in line style or box shape too.
STYLE = {
    "leaf": ("#d6e6ff", PALETTE["blue"], "-", "black"),
    "op": ("#fff3dc", "#b26b00", "-", "black"),
    "acc": ("#f7e4ef", PALETTE["purple"], ":", "black"),
    "nograd": ("#f2f2f2", "#9e9e9e", "--", "#6e6e6e"),
    "output": ("#d6e6ff", PALETTE["green"], "-", "black"),
}
LEGEND = {"leaf": "leaf tensor that requires grad", "op": "operation (grad_fn node)",
          "acc": "AccumulateGrad node: adds into the leaf's .grad",
          "nograd": "input that needs no grad", "output": "output (the root)"}
SAVED_ORDER = ("_saved_self", "_saved_input", "_saved_other", "_saved_mat1", "_saved_mat2")
CHAR_W, PAD, BOX_H, ROW, GAP = 0.085, 0.4, 0.55, 1.05, 0.35  # inches; one data unit is one inch


@dataclass
class _Box:
    kind: str  # "leaf", "op", "acc", "nograd", "output" or "dummy" (a bend point of a long edge)
    lines: tuple[str, ...]
    layer: int
    x: float = 0.0

    @property
    def width(self) -> float:
        return 0.2 if self.kind == "dummy" else PAD + CHAR_W * max(len(s) for s in self.lines)


def _shape(t: torch.Tensor) -> str:
    return "scalar ()" if t.dim() == 0 else f"shape {tuple(t.shape)}"


def _name_of(t: torch.Tensor, names: dict[str, torch.Tensor], default: str) -> str:
    return next((n for n, v in names.items() if v is t), default)


def _saved_inputs(fn: object, names: dict[str, torch.Tensor]) -> list[torch.Tensor]:
    """Named no-grad tensors the node saved for backward, in the node's input order."""
    attrs = sorted((a for a in dir(fn) if a.startswith("_saved_")),
                   key=lambda a: (SAVED_ORDER.index(a) if a in SAVED_ORDER else len(SAVED_ORDER), a))
    found: list[torch.Tensor] = []
    for attr in attrs:
        try:
            value = getattr(fn, attr)
        except RuntimeError:  # freed by an earlier backward()
            continue
        for v in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(v, torch.Tensor) and not v.requires_grad and any(v is t for t in names.values()):
                if all(v is not f for f in found):
                    found.append(v)
    return found


def _walk(root: torch.Tensor, names: dict[str, torch.Tensor]) -> tuple[dict, list]:
    """Boxes keyed by identity and forward edges (input -> consumer), layered by longest distance."""
    order, seen, stack, keep = [], set(), [(root.grad_fn, False)], []
    while stack:  # iterative post-order: deep graphs must not hit the recursion limit
        fn, done = stack.pop()
        if done:
            order.append(fn)
        elif id(fn) not in seen:
            seen.add(id(fn))
            keep.append(fn)  # holding the wrappers keeps their ids unique during the walk
            stack.append((fn, True))
            stack.extend((f, False) for f, _ in reversed(fn.next_functions) if f is not None)
    order.reverse()  # root first, every consumer before its inputs
    depth = {id(root.grad_fn): 1}
    for fn in order:
        for f, _ in fn.next_functions:
            if f is not None:
                depth[id(f)] = max(depth.get(id(f), 0), depth[id(fn)] + 1)
    name = _name_of(root, names, "")
    boxes = {"root": _Box("output", (f"{name} (output)" if name else "output", _shape(root)), 0)}
    edges = [(id(root.grad_fn), "root")]
    for fn in order:
        if hasattr(fn, "variable"):  # AccumulateGrad: the graph's node for a leaf; the leaf itself hangs below it
            leaf = _name_of(fn.variable, names, "leaf")
            boxes[id(fn)] = _Box("acc", (type(fn).__name__, f"into {leaf}.grad"), depth[id(fn)])
            boxes[("leaf", id(fn))] = _Box("leaf", (leaf, _shape(fn.variable)), depth[id(fn)] + 1)
            edges.append((("leaf", id(fn)), id(fn)))
            continue
        made = next((n for n, t in names.items() if t.grad_fn is fn and t is not root), None)
        label = (fn.name(),) + ((f"gives {made}",) if made else ())
        boxes[id(fn)] = _Box("op", label, depth[id(fn)])
        holes = [i for i, (f, _) in enumerate(fn.next_functions) if f is None]
        saved = _saved_inputs(fn, names) if holes else []
        for i, (f, _) in enumerate(fn.next_functions):
            if f is not None:
                edges.append((id(f), id(fn)))
                continue
            t = saved[holes.index(i)] if len(saved) == len(holes) else None
            key = id(t) if t is not None else ("hole", id(fn), i)
            lines = (f"{_name_of(t, names, '?')} (no grad)", _shape(t)) if t is not None else ("no grad",)
            layer = max(boxes[key].layer if key in boxes else 0, depth[id(fn)] + 1)
            boxes[key] = _Box("nograd", lines, layer)
            edges.append((key, id(fn)))
    return boxes, edges


def _route(boxes: dict, edges: list) -> list[list]:
    """Split edges that skip layers into chains through dummy boxes (so they bend around boxes)."""
    paths = []
    for n, (src, dst) in enumerate(edges):
        path = [src]
        for layer in range(boxes[src].layer - 1, boxes[dst].layer, -1):
            boxes[("dummy", n, layer)] = _Box("dummy", ("",), layer)
            path.append(("dummy", n, layer))
        paths.append(path + [dst])
    return paths


def _place(boxes: dict, paths: list[list]) -> None:
    """Order each layer by the mean position of its neighbours, then spread boxes without overlap."""
    layers: dict[int, list] = {}
    for key, box in boxes.items():
        layers.setdefault(box.layer, []).append(key)
    nbrs: dict = {k: [] for k in boxes}
    for path in paths:
        for a, b in zip(path, path[1:]):
            nbrs[a].append(b)
            nbrs[b].append(a)
    rank: dict = {"root": -1}
    for path in paths:  # first seen as an input = left: keeps `w * x` in the order it was written
        for key in path[:-1]:
            rank.setdefault(key, len(rank))
    for keys in layers.values():
        keys.sort(key=lambda k: rank.get(k, 0))
        _pack(boxes, keys, [0.0] * len(keys))
    top = max(layers)
    for sweep in list(range(1, top + 1)) * 2 + list(range(top - 1, -1, -1)):
        keys = layers[sweep]
        want = [sum(boxes[n].x for n in nbrs[k]) / len(nbrs[k]) if nbrs[k] else boxes[k].x for k in keys]
        ranked = sorted(range(len(keys)), key=lambda i: want[i])
        layers[sweep] = [keys[i] for i in ranked]
        _pack(boxes, layers[sweep], [want[i] for i in ranked])


def _pack(boxes: dict, keys: list, want: list[float]) -> None:
    """Positions closest to `want` in this order with a gap between boxes (mean of two sweeps)."""
    need = [(boxes[a].width + boxes[b].width) / 2 + GAP for a, b in zip(keys, keys[1:])]
    left, right = list(want), list(want)
    for i in range(1, len(keys)):
        left[i] = max(left[i], left[i - 1] + need[i - 1])
    for i in range(len(keys) - 2, -1, -1):
        right[i] = min(right[i], right[i + 1] - need[i])
    for key, a, b in zip(keys, left, right):
        boxes[key].x = (a + b) / 2


def _message_figure(text: str) -> Figure:
    fig = plt.figure(figsize=(6.5, 1.6))
    fig.text(0.5, 0.5, text, ha="center", va="center", fontsize=11, wrap=True)
    return fig


def draw_graph(root: torch.Tensor, names: dict[str, torch.Tensor] | None = None) -> Figure:
    """Draw the graph that backward() would walk from `root`; `names` labels tensors by identity."""
    names = {str(k): v for k, v in (names or {}).items() if isinstance(v, torch.Tensor)}
    if not isinstance(root, torch.Tensor):
        return _message_figure(f"draw_graph needs a tensor, got a {type(root).__name__}.")
    label = _name_of(root, names, "this tensor")
    note = "arrows follow the forward pass; backward() walks them in reverse"
    if root.grad_fn is None and not root.requires_grad:
        return _message_figure(f"{label} has no grad_fn and does not require grad:\n"
                               "autograd recorded no graph for it, so there is nothing to draw.")
    if root.grad_fn is None:  # a leaf that requires grad: its whole graph is itself
        boxes, paths = {"root": _Box("leaf", (_name_of(root, names, "leaf"), _shape(root)), 0)}, []
        note = f"{label} is a leaf: it has no grad_fn, so its graph is just the tensor itself"
    else:
        boxes, edges = _walk(root, names)
        paths = _route(boxes, edges)
        _place(boxes, paths)
    return _draw(boxes, paths, label, note)


def _draw(boxes: dict, paths: list[list], label: str, note: str) -> Figure:
    xs = [b.x - b.width / 2 for b in boxes.values()] + [b.x + b.width / 2 for b in boxes.values()]
    top = max(b.layer for b in boxes.values())
    width, height = max(max(xs) - min(xs) + 0.6, 6.0), top * ROW + BOX_H + 2.1
    fig = plt.figure(figsize=(width, height))
    ax = fig.add_axes((0, 0, 1, 1))
    mid = (max(xs) + min(xs)) / 2
    ax.set_xlim(mid - width / 2, mid + width / 2)
    ax.set_ylim(-1.3, height - 1.3)
    ax.axis("off")
    y = {k: b.layer * ROW for k, b in boxes.items()}
    for key, box in boxes.items():
        if box.kind == "dummy":
            continue
        face, edge, ls, colour = STYLE[box.kind]
        ax.add_patch(FancyBboxPatch((box.x - box.width / 2, y[key] - BOX_H / 2), box.width, BOX_H,
                                    boxstyle="round,pad=0,rounding_size=0.12" if box.kind in ("op", "acc") else "square,pad=0",
                                    fc=face, ec=edge, ls=ls, lw=2.2 if box.kind == "output" else 1.4))
        text = box.lines[0] + ("\n" + box.lines[1] if len(box.lines) > 1 else "")
        ax.text(box.x, y[key], text, ha="center", va="center", fontsize=10, color=colour, linespacing=1.3)
    group: dict = {}
    for path in paths:  # edges between the same two boxes (a tensor used twice) are drawn side by side
        group.setdefault((path[0], path[-1]), []).append(path)
    for twins in group.values():
        for k, path in enumerate(twins):
            off = 0.22 * (k - (len(twins) - 1) / 2)
            for a, b in zip(path, path[1:]):
                start = (boxes[a].x + (off if a == path[0] else 0), y[a] - BOX_H / 2)
                end = (boxes[b].x + (off if b == path[-1] else 0), y[b] + BOX_H / 2)
                ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>" if b == path[-1] else "-",
                                             mutation_scale=12, color="#555555", lw=1.1, shrinkA=0, shrinkB=0))
                if b != path[-1]:  # a dummy box: pass straight down through its row, never across a box
                    ax.plot([boxes[b].x] * 2, [y[b] + BOX_H / 2, y[b] - BOX_H / 2], color="#555555", lw=1.1)
    ax.text(mid, height - 1.55, f"computation graph of {label}", ha="center", va="center", fontsize=12, weight="bold")
    ax.text(mid, height - 1.85, note,
            ha="center", va="center", fontsize=9, color="#555555")
    kinds = [k for k in LEGEND if any(b.kind == k for b in boxes.values())]
    ax.legend(handles=[Patch(fc=STYLE[k][0], ec=STYLE[k][1], ls=STYLE[k][2], lw=2 if k == "output" else 1.2,
                             label=LEGEND[k]) for k in kinds],
              loc="lower center", ncol=2, fontsize=9, frameon=False, bbox_to_anchor=(0.5, 0.0))
    return fig
