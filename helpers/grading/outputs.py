"""Every file a grading run writes, rendered from one report dict: the same bytes whoever renders it.

A one-shot run, each shard of a sharded run and `merge` all call `render`, so merging the shards' JSON
gives exactly the gradebook, JSON and feedback files a single run writes.
"""
from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from helpers.grading import report
from helpers.grading.points import Scheme, fmt


def feedback_names(learners: list[str]) -> dict[str, str]:
    """Learner -> feedback file name (`<safe name>.md`); learners whose names clean up alike get a `_` more."""
    used: set[str] = set()
    names = {}
    for learner in learners:
        name = report.safe_name(learner)
        while name.lower() in used:
            name += "_"
        used.add(name.lower())
        names[learner] = f"{name}.md"
    return names


def render(data: dict, out: Path, feedback_dir: Path) -> dict[Path, str]:
    """Path -> text for the gradebook CSV, the JSON (with the learner -> feedback file map) and the feedback."""
    records, titles, seed = data["learners"], data["exercises"], data["seed"]
    scheme = Scheme.from_json(data["scheme"])
    detailed = scheme.custom or data.get("late") is not None
    names = feedback_names([r["learner"] for r in records])
    json_path = out.with_suffix(".json")
    relative = {learner: Path(os.path.relpath(feedback_dir / name, json_path.parent)).as_posix()
                for learner, name in names.items()}
    files = {out: scored_gradebook_csv(records, scheme, data.get("late") is not None) if detailed
             else report.gradebook_csv(records, list(titles))}
    extra = {k: v for k, v in data.items() if k not in ("learners", "exercises", "seed", "feedback")}
    files[json_path] = report.report_json(records, titles, seed, {**extra, "feedback": relative})
    for record in records:
        files[feedback_dir / names[record["learner"]]] = report.feedback_markdown(record, titles, seed, detailed)
    return files


def write(files: dict[Path, str]) -> None:
    """Write every file atomically (group-readable when the umask allows)."""
    for path, text in files.items():
        report.atomic_write(path, text)


def scored_gradebook_csv(records: list[dict], scheme: Scheme, late: bool) -> str:
    """Points per exercise, a subtotal per notebook (and its lateness), total; a 'points possible' row first."""
    header, possible = ["learner"], ["points possible"]
    for notebook, weight, exercises in scheme.notebooks:
        stem = notebook.removesuffix(".ipynb")
        header += [i for i, _ in exercises] + [f"{stem} subtotal"]
        possible += [fmt(p) for _, p in exercises] + [fmt(weight * sum(p for _, p in exercises))]
        if late:
            header += [f"{stem} days late", f"{stem} late penalty"]
            possible += ["", ""]
    header += ["total", "status", "review"]
    possible += [fmt(sum(w * sum(p for _, p in ex) for _, w, ex in scheme.notebooks)), "", ""]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerows([header, possible])
    for record in records:
        row = [record["learner"]]
        for nb in record["notebooks"]:
            row += [fmt(e["points"]) for e in nb["exercises"]] + [fmt(nb["subtotal"])]
            if late:
                info = nb.get("late")
                row += [fmt(info["days_late"]), f"{fmt(100 * info['penalty'])}%"] if info else ["", ""]
        row += [fmt(record["points"]), record["status"], "; ".join(record["review"])]
        writer.writerow(row)
    return out.getvalue()
