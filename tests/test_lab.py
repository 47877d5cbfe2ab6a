"""helpers.lab: the one command line that starts JupyterLab on the course, and its settings defaults."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers.lab import FIRST_LESSON, LAB_DEFAULTS, defaults_path, install_lab_defaults, lab_arguments, lab_command

ROOT = Path(__file__).resolve().parent.parent


def test_serves_the_course_root_and_opens_lesson_00() -> None:
    args = lab_arguments()
    assert "--ServerApp.root_dir=." in args and args[-1] == FIRST_LESSON
    assert (ROOT / FIRST_LESSON).is_file()
    assert lab_command()[1:4] == ["-m", "jupyter", "lab"]


def test_make_lab_and_the_readme_use_helpers_lab() -> None:
    assert "$(PY) -m helpers.lab" in (ROOT / "Makefile").read_text()
    readme = (ROOT / "README.md").read_text()
    assert readme.count("python -m helpers.lab") >= 2  # the conda route and the route without make
    assert "jupyter lab notebooks/" not in readme  # that form serves notebooks/ alone


def test_defaults_turn_the_news_question_off(tmp_path: Path) -> None:
    path = install_lab_defaults(str(tmp_path))
    assert path == defaults_path(str(tmp_path)) and path.parent.name == "overrides.d"
    written = json.loads(path.read_text())
    assert written == LAB_DEFAULTS
    assert written["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"
    before = path.stat().st_mtime_ns
    install_lab_defaults(str(tmp_path))
    assert path.stat().st_mtime_ns == before  # idempotent: an unchanged file is not rewritten


def test_the_readme_states_the_command_line_helpers_lab_runs() -> None:
    args = " ".join(arg for arg in lab_arguments() if arg != "--allow-root")
    assert f"jupyter lab {args}" in (ROOT / "README.md").read_text()


def test_outside_the_course_folder_it_says_where_to_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    import helpers.lab as lab  # noqa: PLC0415

    monkeypatch.setattr(lab, "install_lab_defaults", lambda prefix="": Path(prefix))  # leave the venv alone
    monkeypatch.chdir(tmp_path)
    assert lab.main([]) == 2
    assert "Run this from the course's folder" in capsys.readouterr().out
