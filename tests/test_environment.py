"""The pip route and the conda route install the same pinned packages."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _requirements() -> set[str]:
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def _environment_pip() -> list[str]:
    text = (ROOT / "environment.yml").read_text()
    pip_block = text.split("- pip:", 1)[1]
    return re.findall(r"^\s+- (\S.*)$", pip_block, re.M)


def test_every_requirement_is_pinned_exactly() -> None:
    for req in _requirements():
        assert re.fullmatch(r"[A-Za-z0-9_.-]+==[0-9][A-Za-z0-9.]*", req), f"not pinned with ==: {req}"


def test_torch_is_pinned_to_the_cpu_release() -> None:
    assert "torch==2.13.0" in _requirements()


def test_environment_yml_matches_requirements() -> None:
    pip = _environment_pip()
    assert "-e ." in pip, "environment.yml must install the helpers package"
    assert {p for p in pip if p != "-e ."} == _requirements()


def test_python_version_agrees() -> None:
    text = (ROOT / "environment.yml").read_text()
    python = re.search(r"- python=(\d+\.\d+)", text).group(1)
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert f">={python}" in requires
