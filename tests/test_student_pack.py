"""The learner's pack holds the lessons, exercises and helpers, and no solution anywhere."""
from __future__ import annotations

import zipfile
from pathlib import Path

import nbformat
import pytest

from helpers.exercise_build import solution_regions
from helpers.student_pack import PACK_NAME, build_pack

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    return zipfile.ZipFile(build_pack(tmp_path_factory.mktemp("pack") / "pack.zip"))


def _solution_lines() -> set[str]:
    lines = set()
    for path in (ROOT / "solutions").glob("*.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            for region in solution_regions(cell.source):
                lines |= {s.strip() for s in region.splitlines() if len(s.strip()) >= 12 and not s.strip().startswith("#")}
    return lines


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


def test_no_solution_line_appears_anywhere_in_the_pack(pack: zipfile.ZipFile) -> None:
    lines = _solution_lines()
    texts = {name: pack.read(name).decode("utf-8", errors="replace") for name in pack.namelist()}
    for line in sorted(lines):
        escaped = line.replace("\\", "\\\\").replace('"', '\\"')
        for name, text in texts.items():
            assert line not in text and escaped not in text, f"solution line in {name}: {line}"


def test_pack_is_reproducible(tmp_path: Path) -> None:
    first = build_pack(tmp_path / "a.zip").read_bytes()
    assert build_pack(tmp_path / "b.zip").read_bytes() == first
