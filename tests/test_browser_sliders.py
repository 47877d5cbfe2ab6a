"""Lesson 08's sliders redraw its plot in a real browser (JupyterLab + ipywidgets + headless Chromium)."""
from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lab_server import LabServer

ROOT = Path(__file__).resolve().parent.parent
LESSON = ROOT / "notebooks" / "08_soft_floor.ipynb"
ARTIFACTS = ROOT / "test-artifacts" / "browser"  # git-ignored; the last run's pictures stay for humans
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden)"
SHARPNESS = re.compile(r"^\s*sharpness", re.I)
KEYS = ["ArrowRight", "ArrowRight", "PageUp"]  # PageUp jumps several steps
KEYS_DOWN = ["ArrowLeft", "ArrowLeft", "PageDown"]  # for a slider that starts at its maximum
KERNEL = "window.jupyterapp.shell.currentWidget.sessionContext.session.kernel"

# 'dialog: <its text>' while a dialog waits (Select Kernel); else the current notebook's kernel state
KERNEL_STATE = """() => {
  const dialog = document.querySelector('.jp-Dialog');
  if (dialog && dialog.querySelector('.jp-mod-accept')) return 'dialog: ' + dialog.textContent.slice(0, 200);
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return k ? k.connectionStatus + '/' + k.status : 'no kernel';
}"""
# resolves when every cell has run, or early (false) once one raised (even one tagged raises-exception)
RUN_ALL = """(ms) => Promise.race([
  window.jupyterapp.commands.execute('notebook:run-all-cells').then(ok => ok ? 'done' : 'stopped'),
  new Promise(resolve => setTimeout(() => resolve('timeout'), ms))])"""
UNRUN = """() => window.jupyterapp.shell.currentWidget.content.widgets
  .map((cell, i) => cell.model.type === 'code' && cell.model.executionCount === null ? i + 1 : 0).filter(i => i)"""
# a widget callback that raises leaves no trace in the page: catch it on the kernel's iopub channel
WATCH_KERNEL = f"""() => {{ window.callbackErrors = [];
  {KERNEL}.iopubMessage.connect((_, m) => {{
    const c = m.content, type = m.header.msg_type;
    if (m.parent_header.msg_type === 'execute_request') return;  // a cell's own output shows in the page
    if (type === 'error') window.callbackErrors.push(`${{c.ename}}: ${{c.evalue}}`);
    if (type === 'stream' && c.name === 'stderr' && c.text.includes('Traceback')) window.callbackErrors.push(c.text);
  }}); }}"""
# errors shown in the notebook (widget Output areas included, cells tagged raises-exception excepted)
ERRORS = """() => {
  const found = [];
  for (const cell of window.jupyterapp.shell.currentWidget.content.widgets) {
    if ((cell.model.getMetadata('tags') || []).includes('raises-exception')) continue;
    for (const o of cell.node.querySelectorAll('.jp-OutputArea-output')) {
      const text = o.textContent, mime = o.dataset.mimeType;
      if (mime === 'application/vnd.jupyter.error' || text.includes('Error displaying widget') ||
          (mime === 'application/vnd.jupyter.stderr' && text.includes('Traceback'))) found.push(text.slice(0, 800));
    }
  }
  return found.concat(window.callbackErrors.map(e => 'in a widget callback: ' + e.slice(0, 800)));
}"""
# the explorer's plots (src once loaded) and the kernel's status, polled together
PLOT_STATE = f"""(cell) => [Array.from(cell.querySelectorAll('.jp-RenderedImage img'))
  .map(i => i.complete && i.naturalWidth > 0 ? i.src : 'not loaded'), {KERNEL}.status]"""
# an empty silent request: its reply comes after every widget message sent before it was handled
BARRIER = f"""() => Promise.race([new Promise(resolve => setTimeout(resolve, 30000)),
  {KERNEL}.requestExecute({{code: '', silent: true, store_history: false}}).done])"""


@pytest.fixture
def sync_playwright() -> Any:
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


@pytest.fixture
def timings() -> Iterator[dict[str, float]]:
    """Seconds per phase, printed and kept in test-artifacts/browser/timings.json."""
    found: dict[str, float] = {}
    start = time.perf_counter()
    yield found
    found["whole test"] = time.perf_counter() - start
    print({name: round(value, 2) for name, value in found.items()})
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "timings.json").write_text(json.dumps(found, indent=1))


@pytest.fixture
def lab(sync_playwright: Any, tmp_path: Path, timings: dict[str, float]) -> Iterator[LabServer]:
    """JupyterLab serving a throw-away copy of notebooks/, so no run can touch the committed files."""
    if not LESSON.exists():
        pytest.fail("notebooks/08_soft_floor.ipynb (the soft floor lesson and its explorer) is missing")
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    server = LabServer(tmp_path / "notebooks", tmp_path)
    try:
        timings["server start"] = server.start()
        yield server
    finally:
        start = time.perf_counter()
        leftovers = server.stop()
        timings["server stop"] = time.perf_counter() - start
    assert not leftovers, f"kernels {leftovers} outlived the server and had to be killed"


def _wait_for_kernel(page: Any, timeout: float) -> None:
    """Accept a Select Kernel dialog if one appears; return once the kernel is connected and idle."""
    deadline, state = time.perf_counter() + timeout, ""
    while time.perf_counter() < deadline:
        state = page.evaluate(KERNEL_STATE)
        if state == "connected/idle":
            return
        if state.startswith("dialog"):  # "Select Kernel" for a notebook without kernelspec metadata
            page.click(".jp-Dialog .jp-mod-accept")
        page.wait_for_timeout(100)
    raise AssertionError(f"kernel not idle after {timeout:.0f} s (last state: {state})")


def _find_explorer(page: Any, timeout: float = 30) -> Any:
    """The code cell whose output holds the 'sharpness' slider, or a failure naming the likely cause."""
    cell = page.locator(f"{NOTEBOOK} .jp-CodeCell").filter(
        has=page.locator(".widget-slider .widget-label", has_text=SHARPNESS)).first
    deadline = time.perf_counter() + timeout
    while not cell.count():
        if re.search(r"\w+\(children=", page.locator(NOTEBOOK).inner_text()):
            raise AssertionError("widgets render as text ('...(children=...'): the ipywidgets JupyterLab "
                                 "extension (jupyterlab_widgets) is missing or disabled")
        if time.perf_counter() > deadline:
            raise AssertionError(f"no slider labelled 'sharpness' in {LESSON.name} after {timeout:.0f} s")
        time.sleep(0.2)
    return cell


def _settled_plot(cell: Any, old: str, since: float, timeout: float = 30,
                  quiet: float = 0.4) -> tuple[list[str], float]:
    """Wait until the plots differ from [old] and stay so, kernel idle, for `quiet` s; return them and
    the seconds from `since` to the first change."""
    first_change, last, stable_since = 0.0, None, time.perf_counter()
    while time.perf_counter() - since < timeout:
        plots, status = now = cell.evaluate(PLOT_STATE)
        if now != last:
            last, stable_since = now, time.perf_counter()
        if plots != [old] and "not loaded" not in plots and (plots or old):  # empty: a traceback replaced it
            first_change = first_change or time.perf_counter() - since
            if status == "idle" and time.perf_counter() - stable_since >= quiet:
                return plots, first_change
        time.sleep(0.05)
    return (last or [[]])[0], first_change


def _save_failure(page: Any, cell: Any) -> None:
    """Screenshots of the page and the explorer as they are, without masking the failure."""
    try:
        page.screenshot(path=ARTIFACTS / "failure-page.png")
        if cell is not None and cell.count():
            cell.screenshot(path=ARTIFACTS / "sliders-after.png", timeout=10_000)
    except Exception as error:  # the page may be gone: the original failure matters more
        print("could not save failure screenshots:", error)


def _check_explorer(page: Any, lab: LabServer, timings: dict[str, float]) -> None:
    """Open lesson 08, run it, move the sharpness slider and check that the plot follows."""
    start = time.perf_counter()
    page.goto(lab.page_url(LESSON.name))
    page.wait_for_selector(NOTEBOOK)
    _wait_for_kernel(page, timeout=90)
    timings["open to idle"] = time.perf_counter() - start
    page.evaluate(WATCH_KERNEL)

    start = time.perf_counter()
    outcome = page.evaluate(RUN_ALL, 120_000)
    while True:  # after a raises-exception cell, run-all has resolved but later cells still run
        errors, unrun = page.evaluate(ERRORS), page.evaluate(UNRUN)
        if errors or not unrun or time.perf_counter() - start > 120:
            break
        time.sleep(0.1)
    timings["run all"] = time.perf_counter() - start
    assert outcome != "timeout" and not errors and not unrun, \
        f"run all cells: {outcome}; errors: {errors}; cells not run: {unrun}"

    cell = _find_explorer(page)
    handle = cell.locator(".widget-slider").filter(has=page.locator(".widget-label", has_text=SHARPNESS)) \
        .first.locator(".noUi-handle").first
    before, _ = _settled_plot(cell, old="", since=time.perf_counter())
    assert len(before) == 1, f"expected one plot in the explorer, found {len(before)}"
    cell.screenshot(path=ARTIFACTS / "sliders-before.png")

    value = handle.get_attribute("aria-valuenow")
    handle.focus()
    start = time.perf_counter()
    for key in KEYS_DOWN if value == handle.get_attribute("aria-valuemax") else KEYS:
        page.keyboard.press(key)
    after, timings["key press to new image"] = _settled_plot(cell, old=before[0], since=start)
    timings["key press to settled image"] = time.perf_counter() - start
    page.evaluate(BARRIER)  # every widget message handled, so every callback error reported
    cell.screenshot(path=ARTIFACTS / "sliders-after.png")

    errors, moved = page.evaluate(ERRORS), handle.get_attribute("aria-valuenow")
    assert not errors, f"errors after moving the slider: {errors}"
    assert moved != value, f"the slider did not move: aria-valuenow stayed {value}"
    assert after != before, f"the plot did not change when the slider moved from {value} to {moved}"
    assert len(after) == 1, f"{len(after)} plots in the explorer after the move (figures stacking up?)"


def test_sharpness_slider_redraws_the_plot(sync_playwright: Any, lab: LabServer, timings: dict[str, float]) -> None:
    """Run lesson 08 in JupyterLab in Chromium; moving 'sharpness' redraws its one plot, without errors."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()  # a stale picture must not pass for this run's
    page_errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS, timeout=60_000)
        page = browser.new_page(viewport={"width": 1280, "height": 1400})
        page.set_default_timeout(60_000)
        page.on("pageerror", lambda error: page_errors.append(str(error)))
        try:
            _check_explorer(page, lab, timings)
        except BaseException:
            explorer = page.locator(f"{NOTEBOOK} .jp-CodeCell").filter(has=page.locator(".widget-slider"))
            _save_failure(page, explorer.first)
            print("page errors:", page_errors, "\nserver log:\n", lab.log_tail())
            raise
        finally:
            browser.close()
