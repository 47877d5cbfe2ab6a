"""Time the grader: a generated class (learners x every practice notebook in solutions/), --jobs 1 and 2.

Each learner's notebooks are the exercise notebooks with every answer cell, at random (fixed seed),
left blank, filled with the solution, or filled with a slightly wrong solution (a flipped True/False
or a changed number). For comparison it also times a bare `jupyter nbconvert --execute` of one notebook.

    .venv/bin/python scripts/bench_grader.py [--learners 40] [--jobs 1 2]
"""
from __future__ import annotations

import argparse
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def wrong(source: str) -> str:
    """A plausible wrong answer: flip the first True/False, else change the first number, else return None."""
    flipped = re.sub(r"\b(True|False)\b", lambda m: "False" if m.group(1) == "True" else "True", source, count=1)
    if flipped != source:
        return flipped
    bumped = re.sub(r"(?<![\w.])(\d+)(?![\w.])", lambda m: str(int(m.group(1)) + 1), source, count=1)
    return bumped if bumped != source else source.replace("### END SOLUTION", "return None\n### END SOLUTION", 1)


def make_class(folder: Path, learners: int, seed: int = 0) -> int:
    """Write `learners` folders of practice notebooks; return how many notebooks were written."""
    rng = random.Random(seed)
    written = 0
    for number in range(learners):
        target = folder / f"learner{number:02d}"
        target.mkdir(parents=True)
        for solution_path in sorted((ROOT / "solutions").glob("*.ipynb")):
            if not (ROOT / "exercises" / solution_path.name).exists():
                continue  # a lesson still being written
            solution = nbformat.read(solution_path, as_version=4)
            nb = nbformat.read(ROOT / "exercises" / solution_path.name, as_version=4)
            for cell, answer in zip(nb.cells, solution.cells):
                if answer.cell_type == "code" and "### BEGIN SOLUTION" in answer.source:
                    choice = rng.choice(["right", "right", "blank", "wrong"])
                    if choice != "blank":
                        cell.source = answer.source if choice == "right" else wrong(answer.source)
            nbformat.write(nb, target / solution_path.name)
            written += 1
    return written


def time_grader(folder: Path, out: Path, jobs: int) -> tuple[float, str]:
    """Wall time of one `python -m helpers.grade` run, and its summary's first line."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "helpers.grade", str(folder), "--out", str(out / "gradebook.csv"),
                           "--jobs", str(jobs)], capture_output=True, text=True, cwd=ROOT, check=True)
    return time.perf_counter() - start, done.stdout.splitlines()[0]


def time_nbconvert(notebook: Path, scratch: Path, repeat: int = 3) -> float:
    """Mean wall time of a bare `jupyter nbconvert --execute` of one notebook."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "notebook", "--execute", "--output",
                        str(scratch / "executed.ipynb"), str(notebook)], capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return sum(times) / len(times)


def main(argv: list[str] | None = None) -> int:
    """Build the class, grade it with each --jobs value, time nbconvert, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=40)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-grader-") as tmp:
        scratch = Path(tmp)
        count = make_class(scratch / "class", args.learners)
        print(f"class: {args.learners} learners x {count // max(args.learners, 1)} notebooks = {count} notebooks")
        wall = {}
        for jobs in args.jobs:
            wall[jobs], summary = time_grader(scratch / "class", scratch / f"out{jobs}", jobs)
            print(f"--jobs {jobs}: {wall[jobs]:7.1f} s total, {wall[jobs] / count:5.2f} s per notebook"
                  f"  ({summary})")
        if 1 in wall and 2 in wall:
            print(f"speed-up of --jobs 2 over --jobs 1: {wall[1] / wall[2]:.2f}x")
        first = sorted((ROOT / "solutions").glob("*.ipynb"))[0]
        bare = time_nbconvert(first, scratch)
        print(f"bare `jupyter nbconvert --execute {first.name}`: {bare:.2f} s per notebook (mean of 3)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
