"""Benchmark: the kernel's work for the explorers (lessons 08 and 09), once per explorer and per slider move.

The explorers draw in the browser (scripts/bench_explorer_browser.py times that): the kernel's only work is
building them once, when PyTorch computes every curve for every slider value; timed 5 times each, in a real
ipykernel. For comparison it also times, per slider change (about 30 each), two ways of redrawing in the kernel:
- `interactive_output` + `plt.show()` (inline backend, new figure per change, as `interact` does);
- re-drawing one kept figure after `set_ydata` (the kernel-side work of ipympl, which is not installed).
Prints median and max in milliseconds, wall clock and the kernel's CPU time (the second is what a redraw
costs on an idle core, and stays meaningful when other jobs share the machine). Usage: .venv/bin/python scripts/bench_explorer.py [changes]
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from jupyter_client.manager import start_new_kernel

ROOT = Path(__file__).resolve().parent.parent

KERNEL_CODE = r'''
import io, json, statistics, time
import ipywidgets as widgets, matplotlib.pyplot as plt, torch
from helpers.explorer import explore_gumbel_softmax, explore_soft_floor
from helpers.live_widgets import gumbel_payload, soft_floor_payload
from helpers.soft_figures import soft_floor_figure
from helpers.soft_functions import autograd_derivative, soft_floor

N = {n}
def sweep(low, high):  # N distinct values going up and down, as a learner drags
    return [low + (high - low) * abs((2 * i / (N - 1)) - 1) for i in range(N)][::-1] + [low + 0.01]

def timed(widget, values, changed=lambda: True):
    wall, cpu = [], []  # cpu: this process's CPU time, which other busy processes on the machine hardly change
    for v in values[:N]:
        start, start_cpu = time.perf_counter(), time.process_time()
        widget.value = v
        wall.append(round((time.perf_counter() - start) * 1000, 1))
        cpu.append(round((time.process_time() - start_cpu) * 1000, 1))
        assert changed(), "no new picture"
    return wall, cpu

results = {{}}
def built(make, payload):  # the one-time cost: PyTorch computes every curve for every slider value
    wall, cpu = [], []
    for _ in range(5):
        payload.cache_clear()
        start, start_cpu = time.perf_counter(), time.process_time()
        make()
        wall.append(round((time.perf_counter() - start) * 1000, 1))
        cpu.append(round((time.process_time() - start_cpu) * 1000, 1))
    return wall, cpu
results["build explore_soft_floor() once (arrays for every slider value)"] = built(explore_soft_floor, soft_floor_payload)
results["build explore_gumbel_softmax() once"] = built(explore_gumbel_softmax, gumbel_payload)

slider = widgets.FloatSlider(value=1.0, min=0.2, max=30, description="sharpness")
def show(sharpness):
    soft_floor_figure(sharpness)
    plt.show()
widgets.interactive_output(show, {{"sharpness": slider}})
results["interactive_output + plt.show() (inline)"] = timed(slider, sweep(1.2, 25.0))

fig = soft_floor_figure(4.0); top, bottom = fig.axes; x = torch.from_numpy(top.lines[1].get_xdata())
def update(change):
    k = change["new"]
    top.lines[1].set_ydata(soft_floor(x, k).numpy())
    grad = autograd_derivative(lambda t: soft_floor(t, k), x).numpy()
    bottom.lines[2].set_ydata(grad); bottom.set_ylim(-0.15 * grad.max(), 1.1 * grad.max())
    fig.savefig(io.BytesIO(), format="png", dpi=80)  # ipympl draws with Agg and sends a PNG
slider2 = widgets.FloatSlider(value=1.0, min=0.2, max=30); slider2.observe(update, names="value")
results["one kept figure, set_ydata + redraw (ipympl's kernel work)"] = timed(slider2, sweep(1.2, 25.0))
plt.close("all")
print("RESULTS" + json.dumps(results))
'''


def main(argv: list[str]) -> int:
    """Start a kernel in the repository, run the timings there, print median and max per method."""
    changes = int(argv[0]) if argv else 30
    os.chdir(ROOT)
    manager, client = start_new_kernel(kernel_name="python3", stderr=subprocess.DEVNULL)  # no TCP warning
    chunks: list[str] = []

    def collect(msg: dict) -> None:
        if msg["msg_type"] == "stream":
            chunks.append(msg["content"]["text"])
        elif msg["msg_type"] == "error":
            chunks.append("\n".join(msg["content"]["traceback"]))

    try:
        client.execute_interactive(KERNEL_CODE.format(n=changes), output_hook=collect, timeout=600)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=False)
    text = "".join(chunks)
    if "RESULTS" not in text:
        print(text)
        return 1
    results = json.loads(text.split("RESULTS", 1)[1])
    print(f"kernel time per slider change, {changes} changes each (load average {os.getloadavg()[0]:.2f} "
          f"on {os.cpu_count()} cores)")
    print(f"{'':62s} {'wall clock ms':>15s} {'kernel CPU ms':>15s}")
    print(f"{'method':62s} {'median':>7s} {'max':>7s} {'median':>7s} {'max':>7s}")
    for name, (wall, cpu) in results.items():
        wall, cpu = sorted(wall), sorted(cpu)
        print(f"{name:62s} {wall[len(wall) // 2]:7.1f} {wall[-1]:7.1f} {cpu[len(cpu) // 2]:7.1f} {cpu[-1]:7.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
