"""The learner's pack holds the lessons, exercises and helpers, and no solution anywhere."""
from __future__ import annotations

import zipfile
from pathlib import Path

import nbformat
import pytest

from helpers.exercise_build import solution_regions
from helpers.links import course_documents, dead_links, links_in
from helpers.student_pack import PACK_NAME, build_pack, pack_markdown

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    return zipfile.ZipFile(build_pack(tmp_path_factory.mktemp("pack") / "pack.zip"))


def _meaningful(text: str) -> list[str]:
    """Code lines that carry content: stripped, no blanks, no comments."""
    return [s.strip() for s in text.splitlines() if s.strip() and not s.strip().startswith("#")]


def _solution_pairs() -> set[tuple[str, str]]:
    """Every two consecutive lines of a solution: together they are an answer, not a common idiom."""
    pairs = set()
    for path in (ROOT / "solutions").glob("*.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            for region in solution_regions(cell.source):
                lines = _meaningful(region)
                pairs |= set(zip(lines, lines[1:]))
    return pairs


def _pack_sources(pack: zipfile.ZipFile) -> dict[str, list[str]]:
    """Each text in the pack as meaningful lines (a notebook: its cells' sources, one after another)."""
    sources = {}
    for name in pack.namelist():
        raw = pack.read(name).decode("utf-8", errors="replace")
        if name.endswith(".ipynb"):
            raw = "\n".join(cell.source for cell in nbformat.reads(raw, as_version=4).cells)
        sources[name] = _meaningful(raw)
    return sources


def test_pack_has_what_a_learner_needs(pack: zipfile.ZipFile) -> None:
    names = set(pack.namelist())
    for required in ("README.md", "Makefile", "requirements.txt", "environment.yml", "pyproject.toml",
                     "notebooks/00_welcome.ipynb", "helpers/__init__.py"):
        assert f"{PACK_NAME}/{required}" in names
    for exercise in (ROOT / "exercises").glob("*.ipynb"):
        assert f"{PACK_NAME}/exercises/{exercise.name}" in names


def test_pack_holds_no_solutions_folder_or_marked_regions(pack: zipfile.ZipFile) -> None:
    for name in pack.namelist():
        assert "/solutions/" not in name
        if not name.endswith(".ipynb"):
            continue  # the exercise build's own source names the markers; only notebooks could hold regions
        text = pack.read(name).decode("utf-8", errors="replace")
        assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text, name


def test_no_solution_appears_anywhere_in_the_pack(pack: zipfile.ZipFile) -> None:
    """No two consecutive solution lines stand together in any lesson, exercise or helper module.

    Single lines are not enough to judge here: lessons teach the idioms the exercises use
    (`with torch.no_grad():`). tests/test_exercise_build.py holds exercises to the stricter line rule.
    """
    pairs = _solution_pairs()
    assert pairs
    for name, lines in _pack_sources(pack).items():
        leaked = pairs & set(zip(lines, lines[1:]))
        assert not leaked, f"{name} holds solution lines: {sorted(leaked)[0]}"


def test_pack_is_reproducible(tmp_path: Path) -> None:
    first = build_pack(tmp_path / "a.zip").read_bytes()
    assert build_pack(tmp_path / "b.zip").read_bytes() == first


def test_unzipped_pack_has_no_dead_link_and_none_into_solutions(pack: zipfile.ZipFile, tmp_path: Path) -> None:
    pack.extractall(tmp_path)
    root = tmp_path / PACK_NAME
    assert dead_links(root) == []
    targets = [link.target for path in course_documents(root) for link in links_in(path)]
    assert len(targets) > 30 and not [t for t in targets if "solutions/" in t]
    lesson = nbformat.read(root / "notebooks" / "01_requires_grad.ipynb", as_version=4)
    summary = next(cell.source for cell in lesson.cells if "**Practice:**" in cell.source)
    assert "answers in" not in summary and "../exercises/01_requires_grad.ipynb" in summary


def test_pack_markdown_drops_answer_asides_and_unlinks_left_out_files() -> None:
    members = {"notebooks/01_requires_grad.ipynb", "exercises/01_requires_grad.ipynb", "README.md"}
    lesson = Path("notebooks/01_requires_grad.ipynb")
    text = ("**Practice:** [exercises/01_requires_grad.ipynb](../exercises/01_requires_grad.ipynb)\n"
            "(answers in [solutions/01_requires_grad.ipynb](../solutions/01_requires_grad.ipynb)).\n"
            "**Practice:** [e](../exercises/01_requires_grad.ipynb) (answers in `solutions/`). "
            "[web](https://pytorch.org) [typo](../exercises/99_missing.ipynb)")
    assert pack_markdown(text, lesson, members) == (
        "**Practice:** [exercises/01_requires_grad.ipynb](../exercises/01_requires_grad.ipynb).\n"
        "**Practice:** [e](../exercises/01_requires_grad.ipynb). "
        "[web](https://pytorch.org) [typo](../exercises/99_missing.ipynb)")  # a typo stays for the link test
    assert pack_markdown("see [instructors.md](instructors.md).", Path("README.md"), members) == "see instructors.md."
