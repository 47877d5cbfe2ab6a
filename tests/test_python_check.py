"""`make env` stops with one line naming what to install when python3 cannot build the environment."""
from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from helpers.python_check import problem, supported_range

ROOT = Path(__file__).resolve().parent.parent


def test_range_is_read_from_requires_python() -> None:
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    low, high = supported_range()
    assert requires == f">={low[0]}.{low[1]},<{high[0]}.{high[1]}"
    assert low == (3, 11) and high >= (3, 12)


def test_every_supported_python_passes_and_the_edges_do_not() -> None:
    low, high = supported_range()
    for minor in range(low[1], high[1]):
        assert problem((3, minor), True, True) is None
    too_old, too_new = problem((3, low[1] - 1), True, True), problem((3, high[1]), True, True)
    for line in (too_old, too_new):
        assert line is not None and "\n" not in line and f"Python 3.{low[1]} to 3.{high[1] - 1}" in line


def test_missing_venv_or_ensurepip_names_the_debian_package() -> None:
    for has_venv, has_ensurepip in ((False, True), (True, False)):
        line = problem((3, 12), has_venv, has_ensurepip)
        assert line is not None and "apt install python3.12-venv" in line and "\n" not in line


def test_runs_as_a_plain_script_and_passes_on_this_python() -> None:
    """make runs it with the system's python3 before anything is installed: no import of helpers."""
    done = subprocess.run([sys.executable, "-I", str(ROOT / "helpers" / "python_check.py")],
                          capture_output=True, text=True, check=False)
    assert (done.returncode, done.stderr) == (0, "")


def test_makefile_checks_before_creating_the_venv() -> None:
    text = (ROOT / "Makefile").read_text()
    assert text.index("helpers/python_check.py") < text.index("-m venv $(VENV)")
