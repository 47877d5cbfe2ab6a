"""Grade a class: `python -m helpers.grade SUBMISSIONS --out gradebook/gradebook.csv [--jobs N] [--timeout 120]`.

SUBMISSIONS holds one folder per learner with their practice notebooks (or nbgrader's
submitted/<learner>/<assignment>/*.ipynb). Each notebook runs from scratch in its own sandboxed process,
forked from a worker that imported torch once; then a judge process that never runs learner code judges
every exercise with a grading seed, calling the learner's functions through a socket (helpers/grading/channel.py).
Writes the gradebook CSV, a JSON with every message next to it and feedback/<learner>.md.
`--progress [FOLDER]` grades one folder (default exercises/) and prints a table instead.
`--points FILE` (TOML) sets points and weights, `--due`/`--late` a deadline, `--lms`/`--roster` an LMS
import file, `--shard K/N` one slice of the class; `merge` and `export` work on the JSON (helpers/grading/commands.py).
"""
from __future__ import annotations

import argparse
import faulthandler
import os
import resource
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

from dataclasses import dataclass

# nbformat imports jsonschema, whose optional IRI format checker (rfc3987_syntax) builds a grammar when
# imported: 1-6 s at every start for a check the grader never makes. Marked absent, jsonschema skips it.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[assignment]

from helpers.grading import allowlist, collect, isolate, jobs, lateness, outputs, points, pool, prepare, report, shards  # noqa: E402,E501
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
    p.add_argument("--memory-gib", type=float, default=4.0, help="address-space cap per notebook process")
    p.add_argument("--assignments", type=Path, default=prepare.ROOT / "exercises", help="the practice notebooks handed out")
    p.add_argument("--protect", type=Path, action="append", help="folder restored after an --unsafe-no-sandbox run (default: solutions/); sandboxed notebooks never read it")
    p.add_argument("--extra-rules", type=Path, action="append", default=[], help="extra rule modules (tests)")
    p.add_argument("--sandbox", choices=("auto", "landlock", "none"), default="auto",
                   help="notebook sandbox: Landlock allow-list (auto, landlock); none needs --unsafe-no-sandbox")
    p.add_argument("--unsafe-no-sandbox", action="store_true",
                   help="grade without any sandbox (UNSAFE: learner code can change files; they are checked afterwards)")
    p.add_argument("--progress", action="store_true", help="grade one learner's folder and print a table")
    add_output_options(p)
    p.add_argument("--due", help="due time, ISO 8601 (2026-12-10T23:59:00+01:00; no zone = UTC)")
    p.add_argument("--late", help="late policy: none, per-day:PERCENT or cutoff:TIME (default none)")
    p.add_argument("--shard", help="grade only slice K of N of the class (K/N, K from 1); join them with `merge`")
    return p.parse_args(argv)


def add_output_options(p: argparse.ArgumentParser) -> None:
    """Options that shape the outputs, shared with `merge` and `export`."""
    p.add_argument("--points", type=Path, help="grading file (TOML): [points], [weights], [late], [lms]")
    p.add_argument("--lms", action="append", choices=["canvas", "moodle", "long"], default=[],
                   help="also write an LMS import file next to the gradebook (repeatable)")
    p.add_argument("--roster", type=Path, help="the roster the LMS exports (Canvas/Moodle gradebook export CSV)")
    p.add_argument("--lms-id", choices=["email", "idnumber"], help="Moodle identifier column (default email)")


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
        if not os.environ.get("GRADER_KEEP_JOBS"):  # (debugging the grader: keep the workers' log)
            shutil.rmtree(workroot, ignore_errors=True)


def _grade(args: argparse.Namespace, start: float, workers: pool.Pool, workroot: Path,
           threads: int) -> tuple[list[dict], dict[str, str], dict]:
    read_roots, sandbox_note = prepare.sandbox_plan("none" if args.progress else args.sandbox)
    unsafe = read_roots is None
    if unsafe and not (args.unsafe_no_sandbox or args.progress):
        raise SystemExit(f"refusing to grade: {sandbox_note}. Use a Linux kernel with Landlock (5.13 or later), "
                         "or pass --unsafe-no-sandbox to grade anyway (learner code can then change any file).")
    sandbox_note += ("; each notebook in its own PID and network namespaces" if isolate.can_unshare_pid() else
                     "; no PID namespace here: a notebook's processes are killed with its session")
    extra = [[str(path.resolve()), path.read_text(encoding="utf-8")] for path in args.extra_rules]
    source = args.submissions or prepare.ROOT / "exercises"
    learners = {source.resolve().name: source} if args.progress else collect.find_learners(source)
    whole_class = list(learners)
    if args.shard:
        k, n = shards.parse(args.shard)
        learners = shards.select(learners, k, n)
    protect = [p.resolve() for p in (args.protect or [prepare.ROOT / "solutions"])]
    watched = [prepare.ROOT, Path(sys.prefix), Path(sys.base_prefix)] if unsafe and not args.progress else []
    before = allowlist.tree_state(watched) if watched else {}
    snapshot = prepare.snapshot_tree(protect) if unsafe and not args.progress else {}
    settings = Settings(timeout=args.timeout, check_timeout=args.check_timeout, seed=args.seed,
                        memory=int(args.memory_gib * 2**30), extra=extra,
                        workroot=workroot, read_roots=read_roots, threads=threads)
    registry = {i: Entry(t, tuple(n)) for i, (t, n) in workers.configure(settings.for_worker()).items()}
    assignments = collect.load_assignments(args.assignments, registry)
    scheme = points.load_scheme(args.points, [(a.name, [i for i, _ in a.exercises]) for a in assignments])
    rule = lateness.parse_rule(args.due or scheme.late.get("due"), args.late or scheme.late.get("policy"))
    reference = {a.name: set(collect.review_flags(collect.read_code_cells(args.assignments / a.name)))
                 for a in assignments}
    per_learner = {name: jobs.jobs_for(name, folder, assignments, reference) for name, folder in learners.items()}
    work = [job for name in learners for job in per_learner[name][0]]
    results = jobs.run_all(work, settings, workers)
    tampered = prepare.restore_tree(snapshot, protect) if snapshot else []
    if watched:  # no sandbox: say what changed anywhere in the checkout or the environment
        changed = allowlist.changed_files(before, allowlist.tree_state(watched))
        tampered += [f"changed {p}" for p in changed if not _inside_any(p, [args.out.parent, workroot])][:50]
        sandbox_note += f"; checked {len(before)} files of the checkout and environment afterwards"
    records = []
    for name in learners:
        notebooks = [results[id(job)] for job in per_learner[name][0]]
        review = list(per_learner[name][2])
        review += [flag for nb in notebooks for flag in nb.get("tampering", []) if flag not in review]
        record = report.learner_record(name, notebooks, per_learner[name][1], review)
        records.append(points.apply(lateness.mark(record, learners[name], rule), scheme))
    titles = {i: registry[i].title for a in assignments for i, _ in a.exercises}
    facts = {"seconds": time.perf_counter() - start, "run": sum(isinstance(j[3], list) for j in work),
             "sandbox": sandbox_note, "memory": prepare.memory_baseline_note(settings.memory),
             "tampered": tampered, "jobs": len(workers.workers), "exercises": len(titles), "spent": workers.seconds,
             "startup": workers.startup,
             "extra": {"scheme": scheme.to_json(), "late": rule.to_json() if rule else None},
             "lms": scheme.lms}
    if args.shard:
        facts["extra"]["shard"] = {"index": k, "count": n, "class_size": len(whole_class),
                                   "class_digest": shards.class_digest(whole_class)}
    return records, titles, facts


def _inside_any(path: str, folders: list[Path]) -> bool:
    return any(path.startswith(str(f.resolve()) + os.sep) for f in folders)


def _feedback_dir(args: argparse.Namespace) -> Path:
    return args.feedback or args.out.parent / "feedback"


def main(argv: list[str] | None = None) -> int:
    """Command line entry point (`merge` and `export` are subcommands, see helpers/grading/commands.py)."""
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("merge", "export"):
        from helpers.grading import commands
        return commands.main(argv)
    args = parse_args(argv)
    faulthandler.register(signal.SIGUSR1)  # `kill -USR1 <pid>` prints where every grading thread is
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
    try:
        records, titles, facts = grade(args)
    except (points.SchemeError, lateness.LateError, shards.ShardError) as bad:
        print(bad, file=sys.stderr)
        return 2
    if args.progress:
        print(report.progress_table(records[0], titles))
        return 0
    data = {"seed": args.seed, "exercises": titles, "learners": records, **facts["extra"]}
    outputs.write(outputs.render(data, args.out, _feedback_dir(args)))
    print(_summary(records, facts, args))
    from helpers.grading import commands  # the LMS files come from the same data `export` reads
    return commands.write_lms(args, data, facts["lms"])


def _summary(records: list[dict], facts: dict, args: argparse.Namespace) -> str:
    counts: dict[str, int] = {}
    for record in records:
        for nb in record["notebooks"]:
            counts[nb["status"]] = counts.get(nb["status"], 0) + 1
    run, secs = facts["run"], facts["seconds"]
    totals = [r["total"] for r in records]
    shard = facts["extra"].get("shard")
    where = f" (shard {shard['index']}/{shard['count']} of a class of {shard['class_size']})" if shard else ""
    lines = [f"graded {len(records)} learners{where}: {run} notebooks run in {secs:.1f} s with {facts['jobs']} jobs "
             f"({secs / max(run, 1):.2f} s per notebook)",
             "notebooks: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())),
             f"scores: mean {sum(totals) / max(len(totals), 1):.2f}, min {min(totals, default=0)}, "
             f"max {max(totals, default=0)} (of {facts['exercises']} exercises)",
             *([f"points: mean {sum(r['points'] for r in records) / max(len(records), 1):.2f} of "
                f"{records[0]['possible']:g} (weights and late penalties applied)"] if records and (
                 facts["extra"]["scheme"]["custom"] or facts["extra"]["late"]) else []),
             f"sandbox: {facts['sandbox']}; {facts['memory']}",
             f"grader peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB "
             "(learner output is not kept)"]
    spent = {k: v / max(run, 1) for k, v in facts["spent"].items()}
    lines.append(f"time per notebook in a worker: {spent['notebook']:.2f} s (learner's cells {spent['cells']:.2f} s, "
                 f"checks {spent['checks']:.2f} s, fork, sandbox and clean-up the rest); start-up once: "
                 f"{facts['startup']:.1f} s until a worker had imported torch, IPython and the helpers")
    lines += [f"WARNING: a kernel changed a protected file: {t}" for t in facts["tampered"]]
    flagged = [r["learner"] for r in records if r["review"]]
    if flagged:
        lines.append(f"review flags (see the 'review' column): {', '.join(flagged)}")
    lines.append(f"wrote {args.out}, {args.out.with_suffix('.json')} (learner -> feedback file), "
                 f"{_feedback_dir(args)}/ ({len(records)} files)")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
