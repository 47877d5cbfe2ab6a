"""The authors' executor: runs a notebook in a fresh kernel, stores outputs, drops volatile metadata."""
from __future__ import annotations

from pathlib import Path

import nbformat

from helpers.notebook_run import KERNELSPEC, execute


def test_execute_stores_outputs_and_no_timings(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import os\nprint(6 * 7, os.getcwd())")])
    path = tmp_path / "tiny.ipynb"
    nbformat.write(nb, path)
    ran = execute(path, timeout=60)
    cell = ran.cells[0]
    assert cell.outputs[0]["text"] == f"42 {tmp_path}\n"  # runs in the notebook's own folder
    assert cell.execution_count == 1 and "execution" not in cell.metadata
    assert ran.metadata["kernelspec"] == KERNELSPEC
