"""The charts' embedded state: PyTorch's arrays in float16, small, and nothing loaded from outside."""
from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import numpy as np
import pytest

from helpers import explorer_data
from helpers.live_widgets import GumbelChart, SoftFloorChart, _pack, gumbel_payload, soft_floor_payload

ROOT = Path(__file__).resolve().parent.parent
MAX_DATA_BYTES = 300_000  # the bound for one explorer's embedded data


def _unpack(text: str, layout: dict, name: str, dtype: str) -> np.ndarray:
    offset, shape = layout[name]
    flat = np.frombuffer(base64.b64decode(text), dtype=dtype)
    return flat[offset:offset + int(np.prod(shape))].reshape(shape)


def test_pack_lays_arrays_end_to_end_and_describes_them() -> None:
    a, b = np.arange(6.0).reshape(2, 3), np.array([0.5, -1.25])
    text, layout = _pack({"a": a, "b": b}, "<f2")
    assert layout == {"a": [0, [2, 3]], "b": [6, [2]]}
    assert np.array_equal(_unpack(text, layout, "a", "<f2"), a) and np.array_equal(_unpack(text, layout, "b", "<f2"), b)


def test_soft_floor_chart_holds_pytorchs_arrays_in_float16() -> None:
    text, spec = soft_floor_payload()
    arrays = explorer_data.soft_floor_data()
    for name, array in arrays.items():
        assert np.array_equal(_unpack(text, spec["arrays"], name, "<f2"), array.astype(np.float16)), name
    assert spec["approximations"] == ["sigmoid", "sine"] and spec["sharpness"] == explorer_data.SHARPNESS


def test_gumbel_chart_holds_values_and_colour_indices_in_the_same_layout() -> None:
    values, colours, spec = gumbel_payload()
    d = explorer_data.gumbel_data()
    for name in ("samples", "grads"):
        assert np.array_equal(_unpack(values, spec["arrays"], name, "<f2"), d[name].astype(np.float16))
        assert np.array_equal(_unpack(colours, spec["arrays"], name, "u1"), d[f"{name}_colour"])
    assert len(spec["blues"]) == len(spec["rdbu"]) == 256


@pytest.mark.parametrize("chart", [SoftFloorChart, GumbelChart])
def test_each_explorers_embedded_data_stays_small(chart: type) -> None:
    state = chart().get_state()
    data = sum(len(state[key]) for key in ("data", "colours") if key in state)
    print(f"{chart.__name__}: data {data / 1000:.0f} KB, whole state {len(json.dumps(state)) / 1000:.0f} KB")
    assert 1000 < data <= MAX_DATA_BYTES


@pytest.mark.parametrize("chart", [SoftFloorChart, GumbelChart])
def test_the_charts_code_loads_nothing_from_outside(chart: type) -> None:
    code = chart._esm + chart._css
    assert not re.search(r"""(import\s*\(?\s*["']|url\(\s*["']?|src\s*=\s*["'])(https?:)?//""", code)
    assert "export default" in chart._esm


@pytest.mark.parametrize("lesson, chart", [("08_soft_floor", SoftFloorChart), ("09_gumbel_softmax", GumbelChart)])
def test_the_lesson_stores_the_current_charts_state(lesson: str, chart: type) -> None:
    """Readers without a kernel (and the website) get the stored state: it must be today's code and data."""
    metadata = json.loads((ROOT / "notebooks" / f"{lesson}.ipynb").read_text())["metadata"]
    states = metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"].values()
    stored = [s["state"] for s in states if s["model_name"] == "AnyModel"]
    assert len(stored) == 1, f"{lesson}: expected one stored chart, found {len(stored)}: run make outputs"
    fresh = chart().get_state()
    for key in ("_esm", "_css", "data", "spec"):
        assert stored[0][key] == fresh[key], f"{lesson}: the stored chart's {key} is stale: run make outputs"
