"""Every relative link in the course's notebooks and README names a file, and the lessons chain by 'Next'."""
from __future__ import annotations

import re
from pathlib import Path

import nbformat

from helpers.links import course_documents, dead_links, links_in, relative_targets

ROOT = Path(__file__).resolve().parent.parent
NEXT = re.compile(r"\*\*Next:\*\*\s*\[[^\]]*\]\(([^)\s]+)\)")


def _write_notebook(path: Path, markdown: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(markdown)]), path)


def test_every_relative_link_resolves_to_a_file() -> None:
    documents = course_documents(ROOT)
    assert ROOT / "README.md" in documents and len(documents) > 20
    assert sum(len(links_in(path)) for path in documents) > 50  # the course does link its notebooks
    assert dead_links(ROOT) == []


def test_a_dead_or_escaping_link_is_reported(tmp_path: Path) -> None:
    root = tmp_path / "course"
    _write_notebook(root / "exercises" / "01_x.ipynb", "practice")
    (tmp_path / "elsewhere.md").write_text("a file outside the course's root")
    _write_notebook(root / "notebooks" / "01_x.ipynb",
                    "[here](../exercises/01_x.ipynb) [gone](../solutions/01_x.ipynb) "
                    "[out](../../elsewhere.md) [web](https://pytorch.org) [top](#summary) <a href=\"nope.md\">x</a>")
    (root / "README.md").write_text("[lesson](notebooks/01_x.ipynb#summary) [missing](notebooks/02_y.ipynb)")
    assert sorted(dead_links(root)) == ["README.md: notebooks/02_y.ipynb", "notebooks/01_x.ipynb: ../../elsewhere.md",
                                        "notebooks/01_x.ipynb: ../solutions/01_x.ipynb",
                                        "notebooks/01_x.ipynb: nope.md"]


def test_web_addresses_and_anchors_are_not_relative() -> None:
    text = "[a](https://x.org) [b](mailto:a@b.c) [c](#top) ![d](data:image/png;base64,AA) [e](f.ipynb \"title\")"
    assert relative_targets(text) == ["f.ipynb"]


def test_the_next_links_visit_every_lesson_once_from_lesson_00() -> None:
    """The static twin of the browser journey: 00 → Next → ... reaches every lesson, with no loop."""
    lessons = sorted((ROOT / "notebooks").glob("*.ipynb"))
    path, seen = ROOT / "notebooks" / "00_welcome.ipynb", []
    while path is not None:
        assert path not in seen, f"'Next' links loop back to {path.name}"
        seen.append(path)
        cells = nbformat.read(path, as_version=4).cells
        found = [m for cell in cells if cell.cell_type == "markdown" for m in NEXT.findall(cell.source)]
        assert len(found) <= 1, f"{path.name} has {len(found)} 'Next' links"
        path = (path.parent / found[0]).resolve() if found else None
    assert [p.name for p in seen] == [p.name for p in lessons]
