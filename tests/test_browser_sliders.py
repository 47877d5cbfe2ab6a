"""Lessons 08 and 09's explorers in a real browser (JupyterLab + ipywidgets + headless Chromium), offline.

After running the notebook, each slider moved with the keyboard and with the mouse changes the chart; then
the kernel is shut down and the sliders must still move the chart (it draws from PyTorch's stored arrays).
Input -> next frame is measured along the way (a benchmark figure kept in test-artifacts, never asserted).
"""
from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from browser_explorer import (CHARTS, drag_towards_middle, keep_offline, key_to_frame, launch, move_and_check, nudge,
                              require_playwright, slider_handle)
from lab_server import LabServer, phase_timings

ROOT = Path(__file__).resolve().parent.parent
LESSONS = {"08": ROOT / "notebooks" / "08_soft_floor.ipynb", "09": ROOT / "notebooks" / "09_gumbel_softmax.ipynb"}
ARTIFACTS = ROOT / "test-artifacts" / "browser"  # git-ignored; the last run's pictures stay for humans
NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden)"
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
@pytest.fixture
def timings(request: pytest.FixtureRequest) -> Iterator[dict[str, float]]:
    """Seconds per phase (and the redraw benchmark), printed and kept in test-artifacts/browser/."""
    yield from phase_timings(request, ARTIFACTS)


@pytest.fixture
def lab(tmp_path: Path, timings: dict[str, float]) -> Iterator[LabServer]:
    """JupyterLab serving a throw-away copy of notebooks/, so no run can touch the committed files."""
    require_playwright()
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




def _save_failure(page: Any, name: str) -> None:
    """A screenshot of the page as it is, without masking the failure."""
    try:
        page.screenshot(path=ARTIFACTS / f"failure-{name}.png")
    except Exception as error:  # the page may be gone: the original failure matters more
        print("could not save a failure screenshot:", error)


def _run_all(page: Any, lab: LabServer, lesson: Path, timings: dict[str, float]) -> None:
    """Open the lesson, wait for its kernel, run every cell and check none failed."""
    start = time.perf_counter()
    page.goto(lab.page_url(lesson.name))
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


def _find_chart(page: Any, key: str, timeout: float = 30) -> Any:
    """The explorer's chart in the visible notebook, or a failure naming the likely cause."""
    chart = page.locator(f"{NOTEBOOK} {CHARTS[key]}").first
    deadline = time.perf_counter() + timeout
    while not chart.count():
        text = page.locator(NOTEBOOK).inner_text()
        if "Error displaying widget" in text or "(run this cell to show them)" in text:
            raise AssertionError("the explorer shows as text or an error: is the ipywidgets/anywidget JupyterLab "
                                 "extension (jupyterlab_widgets, anywidget) installed and enabled?")
        if time.perf_counter() > deadline:
            raise AssertionError(f"no {CHARTS[key]} chart in lesson {key} after {timeout:.0f} s")
        time.sleep(0.2)
    return chart


def _move_every_control(page: Any, key: str, chart: Any, when: str) -> None:
    """Keys and mouse on each slider (and the other controls): every move must change the chart."""
    scope = page.locator(NOTEBOOK)
    if key == "08":
        handle = slider_handle(scope, "sharpness")
        move_and_check(page, chart, lambda: nudge(page, handle), f"{when}: keys on sharpness")
        move_and_check(page, chart, lambda: drag_towards_middle(page, handle), f"{when}: mouse on sharpness")
        span = slider_handle(scope, "x range")  # its lower handle
        move_and_check(page, chart, lambda: nudge(page, span, 1), f"{when}: keys on x range")
        move_and_check(page, chart, lambda: drag_towards_middle(page, span, 40), f"{when}: mouse on x range")
        choice = scope.locator(".widget-dropdown select").first
        other = "sine" if choice.input_value() != "sine" else "sigmoid"
        move_and_check(page, chart, lambda: choice.select_option(other), f"{when}: approximation")
    else:
        handle = slider_handle(scope, "temperature")
        move_and_check(page, chart, lambda: nudge(page, handle), f"{when}: keys on temperature")
        move_and_check(page, chart, lambda: drag_towards_middle(page, handle), f"{when}: mouse on temperature")
        move_and_check(page, chart, lambda: scope.locator(".widget-checkbox input").first.click(), f"{when}: hard=True")


def _shut_down_kernel(page: Any, timeout: float = 30) -> None:
    """Shut the notebook's kernel down and wait until it has none."""
    page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.shutdown()")
    deadline = time.perf_counter() + timeout
    while page.evaluate(KERNEL_STATE) != "no kernel":
        assert time.perf_counter() < deadline, f"kernel still there: {page.evaluate(KERNEL_STATE)}"
        time.sleep(0.1)


@pytest.mark.parametrize("key", ["08", "09"])
def test_explorer_follows_keys_and_mouse_with_and_without_a_kernel(key: str, lab: LabServer,
                                                                   timings: dict[str, float]) -> None:
    """Run the lesson, move its controls; shut the kernel down, move them again: the chart follows every time."""
    sync_playwright = require_playwright()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page_errors: list[str] = []
    with sync_playwright() as pw:
        browser = launch(pw)
        page = browser.new_page(viewport={"width": 1280, "height": 1400})
        page.set_default_timeout(60_000)
        page.on("pageerror", lambda error: page_errors.append(str(error)))
        outside = keep_offline(page)
        try:
            _run_all(page, lab, LESSONS[key], timings)
            chart = _find_chart(page, key)
            _move_every_control(page, key, chart, "with the kernel")
            timings.update(key_to_frame(page, chart, slider_handle(page.locator(NOTEBOOK), "sharpness" if key == "08"
                                                                   else "temperature")))
            chart.screenshot(path=ARTIFACTS / f"explorer-{key}.png")
            _shut_down_kernel(page)
            _move_every_control(page, key, chart, "kernel shut down")
            errors = page.evaluate(ERRORS)
            assert not errors, f"errors in the notebook: {errors}"
        except BaseException:
            _save_failure(page, key)
            print("page errors:", page_errors, "\nserver log:\n", lab.log_tail())
            raise
        finally:
            browser.close()
    assert not outside, f"the page asked for outside addresses: {outside}"
    assert not page_errors, f"script errors in the page: {page_errors}"
