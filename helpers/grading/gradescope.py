"""Gradescope: the autograder zip (`make gradescope`) and what its run_autograder does for one submission.

Gradescope unpacks the zip into ROOT/source, runs setup.sh once per image, then run_autograder for each
submission, with the learner's files in ROOT/submission; we write ROOT/results/results.json as its
specification asks (score, and tests[] with name, score, max_score, output, visibility). ROOT is
/autograder on Gradescope and any folder in tests (`--root`, or AUTOGRADER_ROOT in run_autograder).
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import zipfile
from pathlib import Path

from helpers.grading import prepare, report
from helpers.grading.points import fmt

ZIP = prepare.ROOT / "dist" / "autograd-sharp-edges-gradescope.zip"
SCRIPTS = Path(__file__).resolve().parent / "gradescope_files"
VISIBILITY = ("visible", "hidden", "after_due_date", "after_published")


def results(record: dict, titles: dict[str, str], visibility: str = "visible") -> dict:
    """Gradescope's results.json for one graded learner: a test per exercise, weights and penalties applied."""
    tests = []
    for nb in record["notebooks"]:
        scale = nb["weight"] * (1.0 - ((nb.get("late") or {}).get("penalty", 0.0)))
        for e in nb["exercises"]:
            output = e["message"] + (f"\nHint: {e['hint']}" if e["hint"] else "")
            if nb["status"] != "ok":
                output += f"\n({'; '.join([nb['notebook'] + ': ' + nb['status'], *nb['notes']])})"
            tests.append({"name": f"{e['exercise']} {titles.get(e['exercise'], '')}".strip(),
                          "number": e["exercise"], "score": round(e["points"] * scale, 4),
                          "max_score": round(e["max"] * nb["weight"], 4),
                          "status": "passed" if e["status"] == "passed" else "failed",
                          "output": output, "visibility": visibility})
    summary = [f"{nb['notebook']}: {nb['status']}" + (f" ({'; '.join(nb['notes'])})" if nb["notes"] else "")
               for nb in record["notebooks"]] + record["notes"]
    return {"score": round(record["points"], 4), "output": "\n".join(summary), "visibility": visibility,
            "stdout_visibility": "hidden", "tests": tests}


def main(argv: list[str] | None = None) -> int:
    """Grade ROOT/submission with the course grader and write ROOT/results/results.json (`build`: the zip)."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["build"]:
        try:
            path = build_zip(only=argv[1:])
        except ValueError as bad:
            print(bad, file=sys.stderr)
            return 2
        print(f"wrote {path}: upload it as the assignment's autograder (Gradescope: Configure Autograder)")
        return 0
    p = argparse.ArgumentParser(prog="python -m helpers.grading.gradescope")
    p.add_argument("--root", type=Path, default=Path("/autograder"), help="Gradescope's /autograder folder")
    p.add_argument("--visibility", choices=VISIBILITY, default="visible", help="who sees each test's output")
    args, rest = p.parse_known_args(argv)
    from helpers import grade  # the same sandboxed grader as `make grade`

    submission, out = args.root / "submission", args.root / "results" / "results.json"
    if not submission.is_dir():
        print(f"no submission folder at {submission}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="gradescope-") as scratch:
        # one folder graded as one learner, as `make progress` does; nothing else written
        options = grade.parse_args([str(submission), "--progress", "--out", str(Path(scratch) / "g.csv"), *rest])
        try:
            records, titles, _ = grade.grade(options)
        except ValueError as bad:  # a bad grading file or deadline: the instructor reads stdout
            print(bad, file=sys.stderr)
            return 2
    report.atomic_write(out, json.dumps(results(records[0], titles, args.visibility), indent=1, sort_keys=True) + "\n")
    print(f"graded {submission}: {fmt(records[0]['points'])} / {fmt(records[0]['possible'])}; wrote {out}")
    return 0


def build_zip(dest: Path = ZIP, root: Path = prepare.ROOT, only: list[str] | None = None) -> Path:
    """The autograder zip: setup.sh and run_autograder at its root, the course (no solutions/) beside them.

    `only` (notebook names, .ipynb optional) keeps just those practice notebooks: a Gradescope assignment
    per lesson then grades that lesson alone instead of counting the others as missing.
    """
    files = [SCRIPTS / "setup.sh", SCRIPTS / "run_autograder"]
    names = ["setup.sh", "run_autograder"]
    notebooks = sorted((root / "exercises").glob("*.ipynb"))
    if only:
        wanted = {n.removesuffix(".ipynb") for n in only}
        if unknown := sorted(wanted - {p.stem for p in notebooks}):
            raise ValueError(f"no practice notebook named {', '.join(unknown)}; "
                             f"choose from {', '.join(p.stem for p in notebooks)}")
        notebooks = [p for p in notebooks if p.stem in wanted]
    course = [p for p in sorted((root / "helpers").rglob("*.py")) if "__pycache__" not in p.parts]
    course += notebooks + [root / "requirements.txt", root / "pyproject.toml"]
    course += [root / "grading.toml"] if (root / "grading.toml").is_file() else []  # run_autograder passes it
    for path in course:
        files.append(path)
        names.append(path.relative_to(root).as_posix())
    dest.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, name in zip(files, names):
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))  # fixed: the same zip every build
            mode = 0o755 if name in ("setup.sh", "run_autograder") else 0o644
            info.external_attr, info.compress_type = (0o100000 | mode) << 16, zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return dest


if __name__ == "__main__":
    sys.exit(main())
