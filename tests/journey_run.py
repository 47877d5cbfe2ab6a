"""The learner's walk shared by the two journey tests: the served folders, the server, the browser, the answers.

Not a test module itself. The path is discovered from the links on the pages, never listed here, so new
lessons are walked too; pictures of what a learner sees go to test-artifacts/journey/.
"""
from __future__ import annotations

import os
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers.exercise_build import solution_regions
from helpers.lab import lab_arguments
from helpers.student_pack import PACK_NAME, build_pack
from journey_page import JourneyPage
from lab_server import CHROMIUM_ARGS, SETTINGS, LabServer, browser_missing_reason, phase_timings

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts" / "journey"  # git-ignored; the last run's pictures stay for humans
# The test's own settings, minus the notification one: the course's environment must silence the news
# question by itself (helpers.lab installs its defaults), and this test proves it does.
TEST_SETTINGS = {plugin: values for plugin, values in SETTINGS.items() if "notification" not in plugin}
PRACTICE = "exercises/06_rounding_and_zero_gradients.ipynb"  # where the learner answers wrong, then right
EXERCISE = "06.1"
WRONG = 'grads = {"a": 1.0, "b": 1.0, "c": 1.0, "d": 1.0, "e": 1.0}'  # "every rounding passes gradient 1"


@pytest.fixture(scope="module")
def playwright_api() -> Any:
    """playwright's sync_playwright, or skip (fail under REQUIRE_BROWSER=1) saying what is missing."""
    reason = browser_missing_reason()
    if reason:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 (present: checked above)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return sync_playwright


def _right_answer() -> str:
    """The learner's right answer: the solution notebook's answer to EXERCISE, as one line."""
    import nbformat  # noqa: PLC0415

    cells = nbformat.read(ROOT / PRACTICE.replace("exercises/", "solutions/"), as_version=4).cells
    for index, cell in enumerate(cells):
        if f'check("{EXERCISE}"' in cell.source:
            lines = [line for region in solution_regions(cells[index - 1].source) for line in region.splitlines()
                     if line.strip() and not line.strip().startswith("#")]
            assert len(lines) == 1, f"the answer to {EXERCISE} is not one line any more: {lines}"
            return lines[0].strip()
    raise AssertionError(f"no check cell for {EXERCISE} in solutions/")


def course_copy(tmp: Path) -> Path:
    """A throw-away copy of what `make lab` serves, so no run can touch the committed notebooks."""
    root = tmp / "course"
    for folder in ("notebooks", "exercises", "solutions"):
        shutil.copytree(ROOT / folder, root / folder, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    shutil.copy(ROOT / "README.md", root / "README.md")
    return root


def unzipped_pack(tmp: Path) -> Path:
    """The learner's pack, built and unzipped as a learner would."""
    with zipfile.ZipFile(build_pack(tmp / "pack.zip")) as archive:
        archive.extractall(tmp / "unzipped")
    return tmp / "unzipped" / PACK_NAME


@pytest.fixture
def timings(request: pytest.FixtureRequest) -> Iterator[dict[str, float]]:
    """Seconds per phase, printed and kept in test-artifacts/journey/."""
    yield from phase_timings(request, ARTIFACTS)


def walk(sync_playwright: Any, root: Path, scratch: Path, theme: str, timings: dict[str, float],
         artifacts: Path = ARTIFACTS) -> list[str]:
    """Serve `root` as `make lab` does and walk it as a learner; return the notebooks visited, in order."""
    artifacts.mkdir(parents=True, exist_ok=True)
    stale = [*artifacts.glob(f"{'dark' if 'Dark' in theme else 'light'}-*.png"), *artifacts.glob(f"failure-*{theme[-4:]}.png")]
    for old in stale:
        old.unlink()  # a stale picture must not pass for this run's
    server = LabServer(root, scratch, extra_args=lab_arguments(), settings=TEST_SETTINGS)
    timings["server start"] = server.start()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS,
                                         timeout=60_000)
            try:
                journey = JourneyPage(browser.new_page(viewport={"width": 1280, "height": 1000}), artifacts, theme)
                try:
                    return journey.walk(server.opened_url(), PRACTICE, EXERCISE, WRONG, _right_answer(), timings)
                except BaseException:
                    journey.save_failure()
                    print("page errors:", journey.page_errors, "\nserver log:\n", server.log_tail())
                    raise
            finally:
                browser.close()
    finally:
        leftovers = server.stop()
        assert not leftovers, f"kernels {leftovers} outlived the server and had to be killed"


def expected_path(root: Path) -> tuple[list[str], list[str]]:
    """The lessons and practice notebooks the walk must have reached (every one in the served folder)."""
    lessons = sorted(f"notebooks/{p.name}" for p in (root / "notebooks").glob("*.ipynb"))
    practice = sorted(f"exercises/{p.name}" for p in (root / "exercises").glob("*.ipynb"))
    return lessons, practice
