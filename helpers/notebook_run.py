"""Execute notebooks in place with nbclient, so their stored outputs are fresh (for authors)."""
from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def execute(path: Path, timeout: int = 120, allow_errors: bool = False) -> nbformat.NotebookNode:
    """Run a notebook top to bottom in a fresh kernel, in its own folder; return it with outputs."""
    nb = nbformat.read(path, as_version=4)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=allow_errors,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    for cell in nb.cells:
        cell.metadata.pop("execution", None)  # timings would differ on every run
    return nb


def main(argv: list[str]) -> int:
    """Command line: execute each notebook given and write its outputs back."""
    if not argv:
        print("usage: python -m helpers.notebook_run NOTEBOOK.ipynb [...]")
        return 2
    for name in argv:
        start = time.perf_counter()
        path = Path(name)
        nbformat.write(execute(path), path)
        print(f"{path}: {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
