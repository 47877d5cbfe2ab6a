"""The unit of work: one learner's notebook for one assignment, graded by a pool of workers (pool.py)."""
from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from tqdm import tqdm

from helpers.grading import collect, report
from helpers.grading.pool import Pool
from helpers.grading.runner import Settings, run_notebook_flags


def jobs_for(learner: str, folder: Path, assignments: list, reference: dict) -> tuple[list, list[str], list[str]]:
    """(assignment, relative file, code or failure) per assignment, learner notes, review flags."""
    chosen, notes = collect.match_files(collect.notebook_files(folder), assignments, folder)
    links = collect.symlinks(folder)
    notes += [f"skipped {link} (a symbolic link: the grader never follows links)" for link in links]
    jobs, flags = [], {"symbolic links in the submission"} if links else set()
    for assignment in assignments:
        path = chosen.get(assignment.name)
        rel = path.relative_to(folder).as_posix() if path else None
        try:
            code = collect.read_code_cells(path) if path else None
        except collect.NotANotebook as bad:
            code = bad
        if isinstance(code, list):
            flags |= set(collect.review_flags(code)) - reference.get(assignment.name, set())
        jobs.append((learner, assignment, rel, code))
    review = [f for f in [*collect.REVIEW, "symbolic links in the submission"] if f in flags]
    return jobs, notes, review


def grade_job(job: tuple, settings: Settings, pool: Pool) -> dict:
    """Run and check one notebook (or record why it could not run); never raises."""
    learner, assignment, rel, code = job
    if code is None:
        return report.notebook_record(assignment, None, "missing", [], {})
    if isinstance(code, collect.NotANotebook):
        return report.notebook_record(assignment, rel, "not a notebook", [str(code)], {})
    exercises = [(i, list(n)) for i, n in assignment.exercises]
    tampering: list[str] = []
    try:
        status, notes, results, tampering = run_notebook_flags(code, exercises, settings, pool.run)
    except Exception as exc:  # noqa: BLE001  (a grader failure must not lose the learner's row)
        status, notes, results = "grader error", [f"the grader failed: {type(exc).__name__}: {exc}"], {}
    checked = collect.lessons_checked(code)
    if status == "ok" and checked and assignment.lesson not in checked:
        status = "wrong lesson"
        notes.append(f"its check cells are for lesson {', '.join(sorted(checked))}, not {assignment.lesson}")
    if tampering:  # a tampered notebook earns nothing, whatever its verdicts said
        status = "tampered"
        notes.append(f"tampering found: {'; '.join(tampering)}")
        results = {i: {"exercise": i, "status": "failed", "hint": "",
                       "message": "not graded: the notebook tampered with the grading (see the review column)."}
                   for i, _ in assignment.exercises}
    record = report.notebook_record(assignment, rel, status, notes, results)
    record["tampering"] = tampering
    return record


def run_all(jobs: list, settings: Settings, workers: Pool) -> dict[int, dict]:
    """Grade every job, one thread per worker, with a progress bar on a terminal."""
    pool = ThreadPoolExecutor(max_workers=len(workers.workers))
    out = {}
    try:
        with tqdm(total=len(jobs), unit="nb", disable=not sys.stderr.isatty(), desc="grading") as bar:
            futures = {pool.submit(grade_job, job, settings, workers): id(job) for job in jobs}
            for future in as_completed(futures):
                out[futures[future]] = future.result()
                bar.update(1)
    finally:  # on Ctrl-C: drop queued notebooks; running ones finish
        pool.shutdown(wait=True, cancel_futures=True)
    return out
