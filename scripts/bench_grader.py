"""Time what an instructor waits for: the whole `python -m helpers.grade` command, startup included.

A generated class (learners x every practice notebook): each answer cell, at random (fixed seed), left
blank, filled with the solution, or filled with a slightly wrong solution (a flipped True/False or a
changed number). The class is graded with --jobs 1 and --jobs 2. When nbgrader is installed (on PATH, in
this environment, or named with --nbgrader), the first --compare learners are also graded by
`nbgrader autograde` (assignment built from solutions/ by scripts/nbgrader_course.py) and by this grader,
in the same run, and the scores of the two are compared.

    .venv/bin/python scripts/bench_grader.py [--learners 20] [--jobs 1 2] [--compare 4] [--nbgrader PATH]
"""
from __future__ import annotations

import argparse
import csv
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import nbgrader_course  # noqa: E402  (a sibling script)

ROOT = Path(__file__).resolve().parent.parent


def wrong(source: str) -> str:
    """A plausible wrong answer: flip the first True/False, else change the first number, else return None."""
    flipped = re.sub(r"\b(True|False)\b", lambda m: "False" if m.group(1) == "True" else "True", source, count=1)
    if flipped != source:
        return flipped
    bumped = re.sub(r"(?<![\w.])(\d+)(?![\w.])", lambda m: str(int(m.group(1)) + 1), source, count=1)
    return bumped if bumped != source else source.replace("### END SOLUTION", "return None\n### END SOLUTION", 1)


def practice_names() -> list[str]:
    """The practice notebooks that have both a solution and an exercise version."""
    return [p.name for p in sorted((ROOT / "solutions").glob("*.ipynb")) if (ROOT / "exercises" / p.name).exists()]


def make_class(folder: Path, learners: int, seed: int = 0) -> dict[str, dict[str, nbformat.NotebookNode]]:
    """Write `learners` folders of practice notebooks; return them as {learner: {file name: notebook}}."""
    rng = random.Random(seed)
    made: dict[str, dict[str, nbformat.NotebookNode]] = {}
    for number in range(learners):
        learner = f"learner{number:02d}"
        (folder / learner).mkdir(parents=True)
        made[learner] = {}
        for name in practice_names():
            solution = nbformat.read(ROOT / "solutions" / name, as_version=4)
            nb = nbformat.read(ROOT / "exercises" / name, as_version=4)
            for cell, answer in zip(nb.cells, solution.cells):
                if answer.cell_type == "code" and "### BEGIN SOLUTION" in answer.source:
                    choice = rng.choice(["right", "right", "blank", "wrong"])
                    if choice != "blank":
                        cell.source = answer.source if choice == "right" else wrong(answer.source)
            nbformat.write(nb, folder / learner / name)
            made[learner][name] = nb
    return made


def time_grader(folder: Path, out: Path, jobs: int) -> tuple[float, dict[str, int], str]:
    """Wall time of one whole `python -m helpers.grade` command, each learner's total, and its summary."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "helpers.grade", str(folder), "--out", str(out / "gradebook.csv"),
                           "--jobs", str(jobs)], capture_output=True, text=True, cwd=ROOT, check=True)
    seconds = time.perf_counter() - start
    with (out / "gradebook.csv").open() as handle:
        totals = {row["learner"]: int(row["total"]) for row in csv.DictReader(handle)}
    return seconds, totals, done.stdout


def find_nbgrader(named: str | None) -> Path | None:
    """The nbgrader command: --nbgrader, else on PATH, else beside this Python."""
    for candidate in (named, shutil.which("nbgrader"), Path(sys.executable).parent / "nbgrader"):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def compare(scratch: Path, made: dict, learners: list[str], jobs: list[int], nbgrader: Path) -> None:
    """nbgrader and this grader on the same notebooks, in this run; print seconds, ratios and score agreement."""
    names = practice_names()
    count = len(learners) * len(names)
    subset = scratch / "subset"
    for learner in learners:
        shutil.copytree(scratch / "class" / learner, subset / learner)
    course = scratch / "nbgrader"
    released = nbgrader_course.build_course(course, [ROOT / "solutions" / n for n in names], nbgrader)
    for learner in learners:
        for name in names:
            nbgrader_course.hand_in(course, learner, made[learner][name], released[name], name)
    theirs, their_scores = nbgrader_course.autograde(course, nbgrader)
    print(f"\nsame {count} notebooks ({len(learners)} learners), whole commands, one after the other:")
    print(f"  nbgrader autograde (sequential): {theirs:7.1f} s, {theirs / count:5.2f} s per notebook")
    for n in jobs:
        ours, our_scores, _ = time_grader(subset, scratch / f"subset-out{n}", n)
        agree = sum(our_scores.get(k) == v for k, v in their_scores.items())
        print(f"  this grader --jobs {n}:            {ours:7.1f} s, {ours / count:5.2f} s per notebook, "
              f"{theirs / ours:4.1f}x nbgrader; same total score for {agree} of {len(their_scores)} learners")
        for learner in sorted(their_scores):
            if our_scores.get(learner) != their_scores[learner]:
                print(f"    {learner}: nbgrader {their_scores[learner]}, this grader {our_scores.get(learner)}")


def main(argv: list[str] | None = None) -> int:
    """Build the class, grade it with each --jobs value, then beside nbgrader when it is installed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=20)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--compare", type=int, default=4, help="learners also graded by nbgrader (0: none)")
    parser.add_argument("--nbgrader", help="the nbgrader command (e.g. a separate venv's bin/nbgrader)")
    args = parser.parse_args(argv)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine: {os.cpu_count()} cores, load average {load:.1f} at the start")
    with tempfile.TemporaryDirectory(prefix="bench-grader-") as tmp:
        scratch = Path(tmp)
        made = make_class(scratch / "class", args.learners)
        count = sum(len(nbs) for nbs in made.values())
        print(f"class: {args.learners} learners x {len(practice_names())} notebooks = {count} notebooks")
        wall = {}
        for jobs in args.jobs:
            wall[jobs], _, summary = time_grader(scratch / "class", scratch / f"out{jobs}", jobs)
            print(f"--jobs {jobs}: {wall[jobs]:7.1f} s for the whole command, {wall[jobs] / count:5.2f} s per notebook")
            print("  " + "\n  ".join(line for line in summary.splitlines() if line.startswith(("graded", "time"))))
        if 1 in wall and 2 in wall:
            print(f"speed-up of --jobs 2 over --jobs 1: {wall[1] / wall[2]:.2f}x")
        nbgrader = find_nbgrader(args.nbgrader)
        if args.compare and nbgrader is None:
            print("\nnbgrader is NOT installed: no comparison with it was made. Install it into a separate venv "
                  "(python -m venv /tmp/nbg && /tmp/nbg/bin/pip install nbgrader) and pass "
                  "--nbgrader /tmp/nbg/bin/nbgrader.")
        elif args.compare:
            compare(scratch, made, sorted(made)[: args.compare], args.jobs, nbgrader)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average {load:.1f} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
