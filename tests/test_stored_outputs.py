"""Stored outputs read well on GitHub and in JupyterLab: short error messages, no paths of the author's machine."""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted(p for folder in ("notebooks", "solutions") for p in (ROOT / folder).glob("*.ipynb"))
MAX_TRACEBACK_LINES = 12
ANSI = re.compile(r"\x1b\[[0-9;]*m")
# an absolute path that names a machine's folders (a home, a venv's site-packages), not a URL's path
MACHINE_PATH = re.compile(r"(?<![\w.:/])(/(home|Users|root|work|opt|usr|var|mnt|tmp)/\S+|[A-Za-z]:\\\\?Users\S*|\S*site-packages\S*)")
TEXT_KEYS = ("text/plain", "text/html", "text/markdown")


def traceback_lines(output: dict) -> int:
    """How many screen lines an error output's stored traceback takes."""
    return sum(len(ANSI.sub("", frame).splitlines()) for frame in output.get("traceback", []))


def output_texts(output: dict) -> list[str]:
    """The text a reader sees in one stored output (images left out)."""
    if output["output_type"] == "stream":
        return [output["text"]]
    if output["output_type"] == "error":
        return [ANSI.sub("", frame) for frame in output["traceback"]] + [output["evalue"]]
    return [output.get("data", {}).get(key, "") for key in TEXT_KEYS]


def problems(path: Path) -> list[str]:
    """Each stored output of the notebook that breaks a rule, as 'cell N: what'."""
    found = []
    for n, cell in enumerate(nbformat.read(path, as_version=4).cells):
        for output in cell.get("outputs", []):
            if output["output_type"] == "error" and traceback_lines(output) > MAX_TRACEBACK_LINES:
                found.append(f"cell {n}: a {traceback_lines(output)}-line traceback ({output['ename']})")
            for text in output_texts(output):
                for match in MACHINE_PATH.finditer(text if isinstance(text, str) else "".join(text)):
                    found.append(f"cell {n}: machine path {match.group(0)[:80]}")
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_stored_outputs_have_short_errors_and_no_machine_paths(path: Path) -> None:
    assert problems(path) == []


def test_the_rules_catch_a_long_traceback_and_a_path(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x.backward()")
    frames = ["-" * 20, "RuntimeError   Traceback (most recent call last)", "Cell In[3], line 1"]
    frames += [f"File /work/main/.venv/lib/python3.11/site-packages/torch/_tensor.py:{n}" for n in range(12)]
    cell.outputs = [nbformat.v4.new_output("error", ename="RuntimeError", evalue="boom", traceback=frames)]
    short = nbformat.v4.new_code_cell("1/0")
    short.outputs = [nbformat.v4.new_output("error", ename="ZeroDivisionError", evalue="division by zero",
                                            traceback=["\x1b[31mZeroDivisionError\x1b[39m: division by zero"])]
    url = nbformat.v4.new_code_cell("print(url)")
    url.outputs = [nbformat.v4.new_output("stream", name="stdout", text="see https://github.com/pytorch/rfcs/pull/17\n")]
    nb.cells = [cell, short, url]
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    found = problems(path)
    assert found[0] == "cell 0: a 15-line traceback (RuntimeError)"
    assert any("machine path /work/main/.venv" in f for f in found)
    assert all(f.startswith("cell 0:") for f in found)  # the one-line error and the URL pass
