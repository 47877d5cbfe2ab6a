"""Benchmark: time every notebook (kernel start, then cells) and the whole nbval suite.

Prints a table and the suite's ratio to its floor, the floor being
(number of notebooks x cost of starting a kernel and importing torch) / cores.
Run with `make bench`.
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("notebooks", "solutions", "exercises")
NBVAL = ["--nbval", "--nbval-current-env", "--nbval-sanitize-with", "tests/nbval_sanitize.cfg"]


def time_notebook(path: Path) -> tuple[float, float]:
    """Seconds to start the kernel, and seconds to run every cell after that."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    with client.setup_kernel():
        started = time.perf_counter()
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
        done = time.perf_counter()
    return started - start, done - started


def startup_cost(repeats: int = 3) -> float:
    """Median seconds for a kernel to start and import torch and helpers: one notebook's floor."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import torch\nimport helpers")])
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        NotebookClient(nb, timeout=120, kernel_name="python3").execute()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def main() -> int:
    """Print per-notebook times, the suite time and its ratio to the floor."""
    cores = os.cpu_count() or 1
    paths = [p for folder in FOLDERS for p in sorted((ROOT / folder).glob("*.ipynb"))]
    floor_one = startup_cost()
    print(f"kernel start + import torch/helpers: {floor_one:.2f} s (median of 3)\n")
    print(f"{'notebook':48} {'kernel':>7} {'cells':>7}")
    for path in paths:
        kernel, cells = time_notebook(path)
        flag = "  <- over 5 s" if cells > 5 and path.parent.name == "notebooks" else ""
        print(f"{str(path.relative_to(ROOT)):48} {kernel:6.2f}s {cells:6.2f}s{flag}")
    floor = len(paths) * floor_one / cores
    returncode = 0
    for workers in (cores, cores + 1):  # make test uses cores + 1: a worker idles while its kernel starts
        start = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", str(workers), "--dist", "loadscope",
                                 *NBVAL, *FOLDERS], cwd=ROOT, capture_output=True, text=True)
        suite = time.perf_counter() - start
        returncode |= result.returncode
        print(f"nbval suite, {len(paths)} notebooks, {workers} workers on {cores} cores: {suite:.1f} s "
              f"(floor {floor:.1f} s, ratio {suite / floor:.2f}); pytest: {result.stdout.strip().splitlines()[-1]}")
    return returncode


if __name__ == "__main__":
    sys.exit(main())
