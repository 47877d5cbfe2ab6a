"""Benchmark: input -> redraw of the kernel-free explorers (lessons 08, 09) in headless Chromium.

Runs the browser tests, which press the arrow keys 20 times on each explorer's main slider and time, inside
the page, from the keydown event to the first animation frame after the chart's redraw, and the redraw itself:
in JupyterLab (kernel running; the same code path as without one, the tests also move every control after
shutting the kernel down) and on the built website. Prints the figures the tests left in test-artifacts/browser/.
Usage: .venv/bin/python scripts/bench_explorer_browser.py   (needs chromium and the site extra: make site-env)
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts" / "browser"
TESTS = ["tests/test_browser_sliders.py", "tests/test_site.py::test_explorers_on_the_site_move_with_keys_and_mouse_offline"]


def main() -> int:
    """Run the browser tests, then print each explorer's input -> frame and redraw times."""
    for old in ARTIFACTS.glob("timings-*.json"):
        old.unlink()  # a stale figure must not pass for this run's
    env = dict(os.environ, REQUIRE_BROWSER="1", REQUIRE_SITE="1")
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:xdist", *TESTS], cwd=ROOT, env=env)
    rows = {}
    for key in ("08", "09"):
        lab = ARTIFACTS / f"timings-test_explorer_follows_keys_and_mouse_with_and_without_a_kernel-{key}.json"
        if lab.exists():
            rows[f"JupyterLab, lesson {key}"] = json.loads(lab.read_text())
    site = ARTIFACTS / "timings-site.json"
    if site.exists():
        rows.update({f"website, lesson {k}": v for k, v in json.loads(site.read_text()).items()})
    print(f"\n{'':22} {'input -> frame: median':>24} {'max':>6} {'redraw: median':>16} {'max':>6}   (ms)")
    for name, t in rows.items():
        print(f"{name:22} {t['input to next frame, median ms']:>24.1f} {t['input to next frame, max ms']:>6.1f} "
              f"{t['redraw, median ms']:>16.1f} {t['redraw, max ms']:>6.1f}")
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
