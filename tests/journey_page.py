"""Drive JupyterLab in Chromium as a learner does: open, follow links, type, run (used by the journey test)."""
from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from journey_js import FIND, STATE, LINKS, CLOSE, EXISTS, READY, ACTIVATE, SOURCES, NEWS, THEME, SHOWN

KERNEL_TIMEOUT = 180.0  # a kernel starting on a loaded 2-core machine: generous, and a wait on state, not a sleep


class JourneyPage:
    """One browser page on one JupyterLab, walked as a learner walks the course."""

    def __init__(self, page: Any, artifacts: Path, theme: str) -> None:
        self.page, self.artifacts, self.theme = page, artifacts, theme
        self.page_errors: list[str] = []
        self.shots: list[Path] = []
        page.set_default_timeout(60_000)
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))

    # -- waiting on states ------------------------------------------------------------------------------------

    def wait_idle(self, path: str, came_from: str) -> float:
        """Wait until `path` is open, visible and its kernel connected and idle; return the seconds it took."""
        start, state = time.perf_counter(), ""
        while time.perf_counter() - start < KERNEL_TIMEOUT:
            state = self.page.evaluate(STATE, path)
            if state == "connected/idle":
                return time.perf_counter() - start
            if state.startswith("dialog: Select Kernel"):
                self.page.click(".jp-Dialog .jp-mod-accept")  # a notebook without kernelspec metadata
            elif state.startswith("dialog"):
                raise AssertionError(f"following {came_from} to {path} showed a {state}")
            self.page.wait_for_timeout(100)
        raise AssertionError(f"{path} (reached from {came_from}) not open with an idle kernel after "
                             f"{KERNEL_TIMEOUT:.0f} s; last state: {state}")

    def wait_for_output(self, cell: Any, words: str, timeout: float = KERNEL_TIMEOUT) -> str:
        """The text of `cell`'s output once it holds `words` (a check result box), or a failure saying what it held."""
        start, text = time.perf_counter(), ""
        output = cell.locator(".jp-OutputArea-output")
        while time.perf_counter() - start < timeout:
            text = " ".join(output.all_inner_texts())
            if words in text:
                return text
            self.page.wait_for_timeout(100)
        raise AssertionError(f"no '{words}' in the check cell's output after {timeout:.0f} s; it shows: {text!r}")

    # -- what a learner does -----------------------------------------------------------------------------------

    def follow(self, source: str, link: dict[str, Any], kernel: bool = True) -> float:
        """Click a link in `source` as a learner does; wait for its notebook to open (with an idle kernel)."""
        self.page.evaluate(ACTIVATE, source)
        start = time.perf_counter()
        self.page.locator(f"#{self.panel_id(source)} .jp-RenderedMarkdown a").nth(link["index"]).click()
        came_from = f"'{link['label'] or link['text']}' in {source}"
        status = self.page.evaluate(EXISTS, link["file"])
        assert status == 200, f"dead link: {came_from} leads to {link['file']}, which the server answers with {status}"
        if kernel:
            return self.wait_idle(link["file"], came_from)
        while not self.page.evaluate(READY, link["file"]):
            state = self.page.evaluate(STATE, link["file"])
            if state.startswith("dialog") and not state.startswith("dialog: Select Kernel"):
                raise AssertionError(f"following {came_from} to {link['file']} showed a {state}")
            assert time.perf_counter() - start < KERNEL_TIMEOUT, f"{link['file']} did not open from {came_from}"
            self.page.wait_for_timeout(100)
        return time.perf_counter() - start

    def panel_id(self, path: str) -> str:
        """The DOM id of the open notebook's panel."""
        return self.page.evaluate(f"(path) => ({FIND})(path).id", path)

    def cell(self, path: str, index: int) -> Any:
        """A locator for one cell of an open notebook."""
        return self.page.locator(f"#{self.panel_id(path)} .jp-Cell").nth(index)

    def type_and_run(self, path: str, index: int, text: str) -> None:
        """Replace a code cell's text by typing it, then Shift+Enter (which also selects the next cell)."""
        editor = self.cell(path, index).locator(".cm-content")
        editor.click()
        self.page.keyboard.press("ControlOrMeta+a")
        self.page.keyboard.type(text)
        typed = self.page.evaluate(SOURCES, path)[index][1]
        assert typed == text, f"typing into cell {index} of {path} gave {typed!r}, not {text!r}"
        self.page.keyboard.press("Shift+Enter")

    def answer(self, path: str, exercise: str, text: str, verdict: str) -> str:
        """Type an answer to `exercise`, run it and its check cell; return the check box's text."""
        sources = self.page.evaluate(SOURCES, path)
        check = next(i for i, (kind, src) in enumerate(sources) if kind == "code" and f'check("{exercise}"' in src)
        self.type_and_run(path, check - 1, text)
        self.page.keyboard.press("Shift+Enter")  # the check cell, now selected
        box = self.wait_for_output(self.cell(path, check), verdict)
        self.shoot(path, check, f"check-{verdict.lower().replace(' ', '-')}")
        return box

    def run_setup(self, path: str) -> None:
        """Run the notebook's setup cell (its first code cell) with Shift+Enter, as the notebook asks."""
        sources = self.page.evaluate(SOURCES, path)
        first = next(i for i, (kind, _) in enumerate(sources) if kind == "code")
        self.cell(path, first).locator(".cm-content").click()
        self.page.keyboard.press("Shift+Enter")
        deadline = time.perf_counter() + KERNEL_TIMEOUT
        while self.page.evaluate(f"(p) => ({FIND})(p).content.widgets[{first}].model.executionCount", path) is None:
            assert time.perf_counter() < deadline, f"the setup cell of {path} did not run"
            self.page.wait_for_timeout(100)
        self.wait_idle(path, "its setup cell")

    # -- pictures ----------------------------------------------------------------------------------------------

    def shoot(self, path: str, index: int, kind: str) -> None:
        """A picture of one cell, named by theme, notebook, cell and what it shows."""
        theme = "dark" if "Dark" in self.theme else "light"
        name = f"{theme}-{Path(path).parent.name}-{Path(path).stem[:2]}-cell{index:02d}-{kind}.png"
        self.cell(path, index).screenshot(path=self.artifacts / name)
        self.shots.append(self.artifacts / name)

    def shoot_what_learners_see(self, path: str, limit: int = 10) -> None:
        """Pictures of a lesson's error outputs, figures, numbered lists and check boxes."""
        for index, kinds in self.page.evaluate(SHOWN, path)[:limit]:
            self.shoot(path, index, kinds)

    def save_failure(self) -> None:
        """A picture of the whole page as it is, without masking the failure."""
        try:
            self.page.screenshot(path=self.artifacts / f"failure-{self.theme.replace(' ', '-')}.png")  # the whole page
        except Exception as error:  # the page may be gone: the original failure matters more
            print("could not save the failure screenshot:", error)

    # -- the walk ----------------------------------------------------------------------------------------------

    def walk(self, url: str, practice: str, exercise: str, wrong: str, right: str,
             timings: dict[str, float]) -> list[str]:
        """Lesson 00 at `url`, then 'Next' to the end, each lesson's other notebook links on the way."""
        first = re.search(r"/lab/tree/([^?]+)", url)
        assert first, f"make lab opens {url}, not a notebook"
        start = time.perf_counter()
        self.page.goto(url)
        path, visited = first.group(1), [first.group(1)]
        timings["lesson 00 open to idle"] = self.wait_idle(path, "the address make lab opens")
        self.page.evaluate(THEME, self.theme)
        self.page.wait_for_function("(theme) => document.body.dataset.jpThemeName === theme", arg=self.theme)
        self.page.wait_for_selector("#jupyterlab-splash", state="detached")  # shown while the theme changes
        opens: list[float] = []
        while True:
            self.shoot_what_learners_see(path)
            links = self.page.evaluate(LINKS, path)
            nexts = [link for link in links if link["label"].startswith("Next")]
            assert len(nexts) <= 1, f"{path} has {len(nexts)} 'Next' links"
            for link in links:  # Practice and the answers beside it: side trips, each closed after
                if link in nexts or link["file"].startswith("notebooks/"):
                    continue
                # a learner practises in exercises/ (kernel idle, ready to run); answers are for reading
                opens.append(self.follow(path, link, kernel=link["file"].startswith("exercises/")))
                visited.append(link["file"])
                if link["file"] == practice:
                    self.try_exercise(link["file"], exercise, wrong, right, timings)
                self.page.evaluate(CLOSE, link["file"])
            if not nexts:
                break
            opens.append(self.follow(path, nexts[0]))
            self.page.evaluate(CLOSE, path)
            path = nexts[0]["file"]
            visited.append(path)
        assert not self.page.evaluate(NEWS), "the 'official Jupyter news' question appeared"
        assert practice in visited, f"no lesson links to {practice}"
        timings["notebooks opened"] = len(opens) + 1
        timings["open to idle, slowest"] = max(opens)
        timings["walk"] = time.perf_counter() - start
        return visited

    def try_exercise(self, path: str, exercise: str, wrong: str, right: str, timings: dict[str, float]) -> None:
        """Run the setup, answer wrong and read 'Not yet' with its hint, then right and read 'Correct'."""
        start = time.perf_counter()
        self.run_setup(path)
        box = self.answer(path, exercise, wrong, "Not yet")
        assert f"exercise {exercise}" in box and "Hint:" in box, f"the 'Not yet' box lacks its hint: {box!r}"
        assert "`" not in box, f"code in the check message shows backticks: {box!r}"
        box = self.answer(path, exercise, right, "Correct")
        assert "Not yet" not in box, f"the box still says 'Not yet' after the right answer: {box!r}"
        timings["exercise wrong then right"] = time.perf_counter() - start
