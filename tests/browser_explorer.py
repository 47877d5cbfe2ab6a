"""Driving the kernel-free explorers in Chromium: shared by the JupyterLab and website tests and the benchmark.

Not a test module. Each chart element (`.soft-floor-explorer`, `.gumbel-explorer`) records in its dataset what
it drew last (`state`), how many redraws it made, how long the last took and when the next frame came.
"""
from __future__ import annotations

import os
import shutil
import statistics
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "browser"  # git-ignored: last run's figures

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
CHARTS = {"08": ".soft-floor-explorer", "09": ".gumbel-explorer"}
LOOPBACK = {"127.0.0.1", "localhost", "[::1]", "::1"}
CHART_STATE = "el => ({state: el.dataset.state || '', redraws: Number(el.dataset.redraws || 0)})"
# every key press in the page, with its time, so the benchmark can measure input -> next frame after a redraw
WATCH_INPUT = "() => { window.inputTimes = []; document.addEventListener('keydown', () => window.inputTimes.push(performance.now()), true); }"


def require_playwright() -> Any:
    """playwright's sync_playwright, or skip (fail under REQUIRE_BROWSER=1) saying what is missing."""
    reason = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        reason = f"playwright cannot be imported ({error}); pip install -r requirements.txt"
    if shutil.which("chromium") is None:
        reason = "no `chromium` on PATH (Debian: apt-get install chromium; `playwright install` fails here)"
    if reason:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    return sync_playwright


def launch(pw: Any) -> Any:
    """Debian's Chromium, headless."""
    return pw.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS, timeout=60_000)


def keep_offline(page: Any) -> list[str]:
    """Abort every request that would leave the machine; return the list they are noted in."""
    outside: list[str] = []

    def route(r: Any) -> None:
        url = r.request.url
        if url.startswith(("data:", "blob:", "about:")) or urlparse(url).hostname in LOOPBACK:
            r.continue_()
        else:
            outside.append(url)
            r.abort()

    page.route("**/*", route)
    return outside


def chart_state(chart: Any) -> dict[str, Any]:
    """What the chart drew last and how many redraws it has made."""
    return chart.evaluate(CHART_STATE)


def wait_for_redraw(chart: Any, before: dict[str, Any], timeout: float = 10.0) -> dict[str, Any]:
    """The chart's state once it has redrawn to something new and stayed so for 0.3 s (a drag redraws often)."""
    deadline, last, since = time.perf_counter() + timeout, before, time.perf_counter()
    while time.perf_counter() < deadline:
        now = chart_state(chart)
        if now != last:
            last, since = now, time.perf_counter()
        elif now["state"] != before["state"] and time.perf_counter() - since > 0.3:
            return now
        time.sleep(0.05)
    return last


def slider_handle(scope: Any, label: str) -> Any:
    """The handle of the slider labelled `label` (ipywidgets' noUiSlider, focusable, role=slider)."""
    page = getattr(scope, "page", scope)  # a Locator knows its page; a Page is its own
    slider = scope.locator(".widget-slider").filter(has=page.locator(".widget-label", has_text=label)).first
    return slider.locator(".noUi-handle").first


def press(page: Any, handle: Any, keys: list[str]) -> None:
    """Focus the handle and press the keys."""
    handle.focus()
    for key in keys:
        page.keyboard.press(key)


def drag(page: Any, handle: Any, dx: float) -> None:
    """Drag the handle `dx` pixels sideways with the mouse, in small steps as a hand would."""
    handle.scroll_into_view_if_needed()
    box = handle.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx, y, steps=8)
    page.mouse.up()


def towards_middle(handle: Any) -> int:
    """+1 if the handle's value is in the lower half of its range, else -1 (so a move never sticks at an end)."""
    value, low, high = (float(handle.get_attribute(a)) for a in ("aria-valuenow", "aria-valuemin", "aria-valuemax"))
    return 1 if value < (low + high) / 2 else -1


def nudge(page: Any, handle: Any, presses: int = 2) -> None:
    """Arrow keys on the handle, towards the middle of its range."""
    press(page, handle, ["ArrowRight" if towards_middle(handle) > 0 else "ArrowLeft"] * presses)


def drag_towards_middle(page: Any, handle: Any, pixels: float = 60) -> None:
    """A mouse drag of the handle, towards the middle of its range."""
    drag(page, handle, pixels * towards_middle(handle))


def move_and_check(page: Any, chart: Any, action: Any, what: str) -> dict[str, Any]:
    """Do `action()`, then assert the chart redrew to a new state; return that state."""
    before = chart_state(chart)
    action()
    after = wait_for_redraw(chart, before)
    assert after["state"] != before["state"], f"{what}: the chart did not change (still {before['state']!r})"
    return after


def key_to_frame(page: Any, chart: Any, handle: Any, presses: int = 20) -> dict[str, float]:
    """Median and max ms from a key press to the first frame after the chart's redraw, and of the redraw itself."""
    page.evaluate(WATCH_INPUT)
    frames, redraws = [], []
    first, then = ("ArrowRight", "ArrowLeft") if towards_middle(handle) > 0 else ("ArrowLeft", "ArrowRight")
    for i in range(presses):
        key = first if (i // 5) % 2 == 0 else then  # five steps towards the middle and back: never stuck at an end
        before = chart_state(chart)
        press(page, handle, [key])
        deadline = time.perf_counter() + 5
        while time.perf_counter() < deadline:
            timing = chart.evaluate("""el => [Number(el.dataset.redraws || 0), Number(el.dataset.frameAt || 0),
                                        Number(el.dataset.redrawMs || 0), window.inputTimes.at(-1)]""")
            if timing[0] > before["redraws"] and timing[1] > timing[3]:
                frames.append(timing[1] - timing[3])
                redraws.append(timing[2])
                break
            time.sleep(0.01)
    assert len(frames) == presses, f"only {len(frames)} of {presses} key presses redrew the chart"
    return {"input to next frame, median ms": statistics.median(frames), "input to next frame, max ms": max(frames),
            "redraw, median ms": statistics.median(redraws), "redraw, max ms": max(redraws)}
