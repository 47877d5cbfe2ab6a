"""The course website: built warning-free from the stored outputs, self-contained, its explorers live offline.

Needs the `site` extra (Sphinx, myst-nb, sphinx-book-theme). Without it the tests skip saying so, and with
REQUIRE_SITE=1 (as .ci/run sets, after `make site-env`) they fail instead.
"""
from __future__ import annotations

import functools
import http.server
import importlib.util
import json
import os
import re
import sys
import threading
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from browser_explorer import (ARTIFACTS, CHARTS, chart_state, drag, keep_offline, key_to_frame, launch,
                              move_and_check, press, require_playwright, slider_handle)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "site"))
REPOSITORY = "https://github.com/example/course"  # stands in for the address the Pages workflow passes (never fetched)


def _require_site_tools() -> None:
    missing = [m for m in ("sphinx", "myst_nb", "sphinx_book_theme") if importlib.util.find_spec(m) is None]
    if missing:
        reason = f"the site tools are not installed ({', '.join(missing)}): make site-env"
        if os.environ.get("REQUIRE_SITE") == "1":
            pytest.fail(f"REQUIRE_SITE=1 but {reason}")
        pytest.skip(reason)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The website, built once for this module, solutions unpublished, with a repository address."""
    _require_site_tools()
    from build import build

    out = tmp_path_factory.mktemp("site")
    done = build(out, repository=REPOSITORY)
    assert done.returncode == 0, f"sphinx-build -W failed:\n{done.stdout}\n{done.stderr}"
    return out / "html"


class _Links(HTMLParser):
    """Every address a page links to (a href) and every address it loads (script, link, img, iframe...)."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.loads: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        for key in ("src", "data-src") if tag != "a" else ():
            if a.get(key):
                self.loads.append(a[key])
        if tag == "link" and a.get("href") and a.get("rel") not in ("canonical",):
            self.loads.append(a["href"])


def _pages(site: Path) -> list[Path]:
    """The site's pages (the theme's template snippets in _static are not pages)."""
    return [p for p in site.rglob("*.html") if "_static" not in p.relative_to(site).parts]


def _parse(page: Path) -> _Links:
    parser = _Links()
    parser.feed(page.read_text())
    return parser


def test_every_lesson_and_practice_notebook_is_a_page(site: Path) -> None:
    for folder in ("notebooks", "exercises"):
        for notebook in sorted((ROOT / folder).glob("*.ipynb")):  # by glob: new lessons (03a, 03b) included
            assert (site / folder / f"{notebook.stem}.html").exists(), f"no page for {folder}/{notebook.name}"
    assert (site / "index.html").exists() and (site / "README.html").exists() and (site / "instructors.html").exists()
    assert not (site / "solutions").exists(), "solutions/ is published although the setting says not"


def test_every_link_between_pages_resolves_and_nothing_loads_from_outside(site: Path) -> None:
    broken, outside = [], []
    for page in _pages(site):
        found = _parse(page)
        for address in found.links + found.loads:
            parsed = urlparse(address)
            if parsed.scheme in ("http", "https", "mailto"):
                continue
            target = (page.parent / unquote(parsed.path)).resolve() if parsed.path else page
            if not target.exists():
                broken.append(f"{page.relative_to(site)} -> {address}")
        outside += [f"{page.relative_to(site)} loads {a}" for a in found.loads if urlparse(a).scheme in ("http", "https")
                    or a.startswith("//")]
    assert not broken, f"links to nothing: {broken[:10]}"
    assert not outside, f"pages load from outside the site: {outside[:10]}"


def test_links_to_unpublished_solutions_point_to_the_repository(site: Path) -> None:
    links = [a for page in _pages(site) for a in _parse(page).links if "solutions/" in a]
    assert links, "no page links to solutions/ (the exercises do)"
    assert all(a.startswith(f"{REPOSITORY}/blob/main/solutions/") for a in links), links


def test_the_solutions_setting_publishes_them_as_linked_pages(tmp_path: Path) -> None:
    _require_site_tools()
    from build import build

    done = build(tmp_path, solutions=True)  # and no repository address: nothing may point outside
    assert done.returncode == 0, f"sphinx-build -W failed with SITE_SOLUTIONS=1:\n{done.stdout}\n{done.stderr}"
    site = tmp_path / "html"
    for notebook in sorted((ROOT / "solutions").glob("*.ipynb")):
        assert (site / "solutions" / f"{notebook.stem}.html").exists(), f"no page for solutions/{notebook.name}"
    links = [a for page in _pages(site) for a in _parse(page).links if "solutions/" in a]
    assert links and all(not urlparse(a).scheme for a in links), links  # links between pages of the site now


def test_tracebacks_are_rendered_as_text_without_terminal_codes(site: Path) -> None:
    pages = [p for p in site.glob("notebooks/*.html") if "output traceback" in p.read_text()]
    assert pages, "no lesson page shows a traceback, though lessons show errors on purpose"
    for page in pages:
        text = page.read_text()
        assert "\x1b[" not in text and "[0;31m" not in text, f"{page.name}: raw terminal colour codes"
        assert re.search(r"Error", text)


def test_explorer_pages_embed_the_widget_state_and_serve_their_scripts(site: Path) -> None:
    for name in ("08_soft_floor", "09_gumbel_softmax"):
        text = (site / "notebooks" / f"{name}.html").read_text()
        assert "application/vnd.jupyter.widget-state+json" in text and "application/vnd.jupyter.widget-view+json" in text
        for script in ("widgets/requirejs/require.js", "widgets/require-config.js", "widgets/html-manager/embed-amd.js"):
            assert f"_static/{script}" in text, f"{name}: {script} is not loaded"
        assert "children=" not in text  # the widget's text fallback is a sentence, not a repr dump


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[str]:
    """The built site over HTTP on loopback, for the browser."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    missing: list[str] = []

    def log_message(self, format: str, *args: object) -> None:
        if len(args) > 1 and str(args[1]) == "404":
            _QuietHandler.missing.append(str(args[0]))


def _open(browser: object, url: str) -> tuple[object, list[str], list[str]]:
    page = browser.new_page(viewport={"width": 1280, "height": 1400})
    page.set_default_timeout(60_000)
    outside, errors = keep_offline(page), []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url)
    return page, outside, errors


def test_explorers_on_the_site_move_with_keys_and_mouse_offline(server: str) -> None:
    sync_playwright = require_playwright()
    with sync_playwright() as pw:
        browser = launch(pw)
        try:
            page, outside, errors = _open(browser, f"{server}/notebooks/08_soft_floor.html")
            chart = page.locator(CHARTS["08"]).first
            chart.wait_for(timeout=60_000)
            assert chart_state(chart)["state"].startswith("sigmoid 4 -2 2 "), chart_state(chart)
            handle = slider_handle(page, "sharpness")
            state = move_and_check(page, chart, lambda: press(page, handle, ["ArrowRight", "ArrowRight"]), "keys")
            assert state["state"].startswith("sigmoid 4.4 -2 2"), state
            move_and_check(page, chart, lambda: drag(page, handle, 80), "mouse drag on sharpness")
            move_and_check(page, chart, lambda: page.locator(".widget-dropdown select").first.select_option("sine"),
                           "approximation")
            move_and_check(page, chart, lambda: press(page, slider_handle(page, "x range"), ["ArrowLeft"]), "x range")

            page9, outside9, errors9 = _open(browser, f"{server}/notebooks/09_gumbel_softmax.html")
            chart9 = page9.locator(CHARTS["09"]).first
            chart9.wait_for(timeout=60_000)
            temperature = slider_handle(page9, "temperature")
            move_and_check(page9, chart9, lambda: press(page9, temperature, ["ArrowLeft", "ArrowLeft"]), "keys")
            move_and_check(page9, chart9, lambda: drag(page9, temperature, -60), "mouse drag on temperature")
            move_and_check(page9, chart9, lambda: page9.locator(".widget-checkbox input").first.click(), "hard=True")
            # a benchmark figure for the README, never asserted: input -> the frame after the redraw
            timings = {"08": key_to_frame(page, chart, handle), "09": key_to_frame(page9, chart9, temperature)}
            print("on the site:", timings)
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            (ARTIFACTS / "timings-site.json").write_text(json.dumps(timings, indent=1))
        finally:
            browser.close()
    assert not outside + outside9, f"pages asked for outside addresses: {outside + outside9}"
    assert not errors + errors9, f"script errors: {errors + errors9}"
    assert not _QuietHandler.missing, f"requests for files the site lacks: {_QuietHandler.missing}"
