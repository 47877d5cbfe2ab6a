"""Grade a class: `python -m helpers.grade SUBMISSIONS --out gradebook/gradebook.csv [--jobs N] [--timeout 120]`.

SUBMISSIONS holds one folder per learner with their practice notebooks (or nbgrader's
submitted/<learner>/<assignment>/*.ipynb). Each notebook runs from scratch in its own sandboxed process,
forked from a worker that imported torch once, then the grader checks every exercise with a grading seed
(see helpers/grading/).
Writes the gradebook CSV, a JSON with every message next to it and feedback/<learner>.md.
`--progress [FOLDER]` grades one folder (default exercises/) and prints a table instead.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

# nbformat imports jsonschema, whose optional IRI format checker (rfc3987_syntax) builds a grammar when
# imported: 1-6 s at every start for a check the grader never makes. Marked absent, jsonschema skips it.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[assignment]

from helpers.grading import collect, isolate, jobs, pool, prepare, report  # noqa: E402
from helpers.grading.runner import Settings  # noqa: E402

GRADING_SEED = 1  # the practice checks use 0; a right answer passes for any seed


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    p = argparse.ArgumentParser(prog="python -m helpers.grade", description=__doc__.splitlines()[0])
    p.add_argument("submissions", nargs="?", type=Path, help="class folder (or, with --progress, one learner's folder)")
    p.add_argument("--out", type=Path, default=Path("gradebook/gradebook.csv"), help="gradebook CSV; the JSON goes next to it")
    p.add_argument("--feedback", type=Path, help="folder for <learner>.md (default: feedback/ next to --out)")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="notebooks run in parallel")
    p.add_argument("--timeout", type=float, default=120, help="seconds per notebook for the learner's cells")
    p.add_argument("--check-timeout", type=float, default=30, help="seconds per exercise check")
    p.add_argument("--seed", type=int, default=GRADING_SEED, help="grading seed (practice uses 0)")
    p.add_argument("--memory-gib", type=float, default=4.0, help="address-space cap per kernel")
    p.add_argument("--assignments", type=Path, default=prepare.ROOT / "exercises", help="the practice notebooks handed out")
    p.add_argument("--protect", type=Path, action="append", help="folder kernels may neither read nor change (default: solutions/)")
    p.add_argument("--extra-rules", type=Path, action="append", default=[], help="extra rule modules (tests)")
    p.add_argument("--no-sandbox", action="store_true", help="do not use Landlock (protected folders are restored instead)")
    p.add_argument("--progress", action="store_true", help="grade one learner's folder and print a table")
    return p.parse_args(argv)


@dataclass(frozen=True)
class Entry:
    """What the grader needs of a registered exercise (the rules themselves stay in the workers)."""

    title: str
    answer_names: tuple[str, ...]


def grade(args: argparse.Namespace) -> tuple[list[dict], dict[str, str], dict]:
    """Grade every learner; return the records, exercise titles and run facts for the summary."""
    start = time.perf_counter()
    jobs_n = max(1, args.jobs)
    threads = max(1, (os.cpu_count() or 1) // jobs_n)
    workroot = Path(tempfile.mkdtemp(prefix="autograd-grader-"))
    log = open(workroot / "workers.log", "wb")  # the workers' own stderr, kept out of the grader's terminal
    workers = pool.Pool(jobs_n, pool.worker_env(threads, workroot), log)  # first: they import torch meanwhile
    try:
        return _grade(args, start, workers, workroot, threads)
    finally:
        workers.close()
        log.close()
        shutil.rmtree(workroot, ignore_errors=True)


def _grade(args: argparse.Namespace, start: float, workers: pool.Pool, workroot: Path,
           threads: int) -> tuple[list[dict], dict[str, str], dict]:
    extra = [[str(path.resolve()), path.read_text(encoding="utf-8")] for path in args.extra_rules]
    source = args.submissions or prepare.ROOT / "exercises"
    learners = {source.resolve().name: source} if args.progress else collect.find_learners(source)
    protect = [p.resolve() for p in (args.protect or [prepare.ROOT / "solutions"])]
    hidden = protect + [workroot, source.resolve()]
    if not args.progress:
        hidden += [args.out.resolve(), args.out.resolve().with_suffix(".json"), _feedback_dir(args).resolve()]
    read_roots, sandbox_note = prepare.sandbox_plan(hidden, enabled=not args.no_sandbox)
    sandbox_note += ("; each notebook in its own PID and network namespaces" if isolate.can_unshare_pid() else
                     "; no PID namespace here: a notebook's processes are killed with its session")
    snapshot = prepare.snapshot_tree(protect) if read_roots is None else {}
    settings = Settings(timeout=args.timeout, check_timeout=args.check_timeout, seed=args.seed,
                        memory=int(args.memory_gib * 2**30), sources=prepare.snapshot_sources(), extra=extra,
                        workroot=workroot, read_roots=read_roots, threads=threads)
    registry = {i: Entry(t, tuple(n)) for i, (t, n) in workers.configure(settings.for_worker()).items()}
    assignments = collect.load_assignments(args.assignments, registry)
    reference = {a.name: set(collect.review_flags(collect.read_code_cells(args.assignments / a.name)))
                 for a in assignments}
    per_learner = {name: jobs.jobs_for(name, folder, assignments, reference) for name, folder in learners.items()}
    work = [job for name in learners for job in per_learner[name][0]]
    results = jobs.run_all(work, settings, workers)
    tampered = prepare.restore_tree(snapshot, protect) if snapshot else []
    records = []
    for name in learners:
        notebooks = [results[id(job)] for job in per_learner[name][0]]
        records.append(report.learner_record(name, notebooks, per_learner[name][1], per_learner[name][2]))
    titles = {i: registry[i].title for a in assignments for i, _ in a.exercises}
    facts = {"seconds": time.perf_counter() - start, "run": sum(isinstance(j[3], list) for j in work),
             "sandbox": sandbox_note, "memory": prepare.memory_baseline_note(settings.memory),
             "tampered": tampered, "jobs": len(workers.workers), "exercises": len(titles), "spent": workers.seconds,
             "startup": workers.startup}
    return records, titles, facts


def _feedback_dir(args: argparse.Namespace) -> Path:
    return args.feedback or args.out.parent / "feedback"


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    args = parse_args(argv)
    if not hasattr(os, "fork"):
        print("the grader forks a process for each notebook: it runs on Linux and macOS (on Windows, in WSL)",
              file=sys.stderr)
        return 2
    if not args.progress and (args.submissions is None or not args.submissions.is_dir()):
        print(f"no such class folder: {args.submissions}", file=sys.stderr)
        return 2
    if not any(args.assignments.glob("*.ipynb")):
        print(f"no practice notebooks in {args.assignments}", file=sys.stderr)
        return 2
    records, titles, facts = grade(args)
    if args.progress:
        print(report.progress_table(records[0], titles))
        return 0
    ids = list(titles)
    report.atomic_write(args.out, report.gradebook_csv(records, ids))
    report.atomic_write(args.out.with_suffix(".json"), report.report_json(records, titles, args.seed))
    used: set[str] = set()
    for record in records:
        name = report.safe_name(record["learner"])
        while name.lower() in used:  # two learners whose names clean up alike keep separate files
            name += "_"
        used.add(name.lower())
        report.atomic_write(_feedback_dir(args) / f"{name}.md", report.feedback_markdown(record, titles, args.seed))
    print(_summary(records, facts, args))
    return 0


def _summary(records: list[dict], facts: dict, args: argparse.Namespace) -> str:
    counts: dict[str, int] = {}
    for record in records:
        for nb in record["notebooks"]:
            counts[nb["status"]] = counts.get(nb["status"], 0) + 1
    run, secs = facts["run"], facts["seconds"]
    totals = [r["total"] for r in records]
    lines = [f"graded {len(records)} learners: {run} notebooks run in {secs:.1f} s with {facts['jobs']} jobs "
             f"({secs / max(run, 1):.2f} s per notebook)",
             "notebooks: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())),
             f"scores: mean {sum(totals) / max(len(totals), 1):.2f}, min {min(totals, default=0)}, "
             f"max {max(totals, default=0)} (of {facts['exercises']} exercises)",
             f"sandbox: {facts['sandbox']}; {facts['memory']}"]
    spent = {k: v / max(run, 1) for k, v in facts["spent"].items()}
    lines.append(f"time per notebook in a worker: {spent['notebook']:.2f} s (learner's cells {spent['cells']:.2f} s, "
                 f"checks {spent['checks']:.2f} s, fork, sandbox and clean-up the rest); start-up once: "
                 f"{facts['startup']:.1f} s until a worker had imported torch, IPython and the helpers")
    lines += [f"WARNING: a kernel changed a protected file: {t}" for t in facts["tampered"]]
    flagged = [r["learner"] for r in records if r["review"]]
    if flagged:
        lines.append(f"review flags (see the 'review' column): {', '.join(flagged)}")
    lines.append(f"wrote {args.out}, {args.out.with_suffix('.json')}, {_feedback_dir(args)}/ ({len(records)} files)")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
