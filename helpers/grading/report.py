"""The grader's outputs: gradebook CSV, a JSON with every message, one Markdown feedback file per learner."""
from __future__ import annotations

import csv
import io
import json
import os
import tempfile
import unicodedata
from pathlib import Path

from helpers.grading.collect import Assignment
from helpers.grading.points import fmt

_UNSAFE = set('/\\:*?"<>|')  # separators, and what Windows refuses in a file name

# Notebook statuses, worst first (the order a learner's status column lists them in).
STATUSES = ("tampered", "grader error", "kernel died", "timeout", "deleted its working folder", "not a notebook",
            "wrong lesson", "missing")
_LABEL = {"passed": "Correct", "failed": "Not yet", "not_answered": "Not answered", "error": "Check error",
          "not_graded": "Not graded"}


def notebook_record(assignment: Assignment, file: str | None, status: str, notes: list[str],
                    results: dict[str, dict]) -> dict:
    """One notebook's entry: its status, notes and a verdict for each of its exercises."""
    why = {"missing": "no notebook with this name was handed in.",
           "not a notebook": "the file could not be read as a notebook."}.get(status)
    exercises = []
    for exercise_id, _ in assignment.exercises:
        if exercise_id in results:
            exercises.append(results[exercise_id])
        elif why:
            exercises.append({"exercise": exercise_id, "status": "not_graded", "message": why, "hint": ""})
        else:
            exercises.append({"exercise": exercise_id, "status": "error", "hint": "",
                              "message": "no verdict: the notebook's kernel stopped before this exercise was checked."})
    return {"notebook": assignment.name, "file": file, "status": status, "notes": notes, "exercises": exercises}


def learner_record(learner: str, notebooks: list[dict], notes: list[str], review: list[str]) -> dict:
    """A learner's entry: notebooks, total, combined status, notes and review flags."""
    total = sum(e["status"] == "passed" for nb in notebooks for e in nb["exercises"])
    return {"learner": learner, "total": total, "status": combined_status(notebooks),
            "notes": notes, "review": review, "notebooks": notebooks}


def combined_status(notebooks: list[dict]) -> str:
    """'ok' when every notebook ran cleanly, else e.g. 'timeout: 03_graph; missing: 05_indices'."""
    if notebooks and all(nb["status"] == "missing" for nb in notebooks):
        return "missing: all notebooks"
    parts = []
    for status in STATUSES:
        names = [nb["notebook"].removesuffix(".ipynb") for nb in notebooks if nb["status"] == status]
        if names:
            parts.append(f"{status}: {', '.join(names)}")
    return "; ".join(parts) or "ok"


def gradebook_csv(records: list[dict], exercise_ids: list[str]) -> str:
    """One row per learner: a 1/0 column per exercise, total, status, review flags."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["learner", *exercise_ids, "total", "status", "review"])
    for record in records:
        passed = {e["exercise"] for nb in record["notebooks"] for e in nb["exercises"] if e["status"] == "passed"}
        writer.writerow([record["learner"], *(int(i in passed) for i in exercise_ids), record["total"],
                         record["status"], "; ".join(record["review"])])
    return out.getvalue()


def report_json(records: list[dict], titles: dict[str, str], seed: int, extra: dict | None = None) -> str:
    """Everything, deterministic: exercises with titles, then each learner's notebooks and verdicts (and `extra`)."""
    data = {"seed": seed, "exercises": titles, "learners": records, **(extra or {})}
    return json.dumps(data, indent=1, sort_keys=True) + "\n"


def feedback_markdown(record: dict, titles: dict[str, str], seed: int, points: bool = False) -> str:
    """What a learner gets back: score, then each notebook's exercises with message and hint."""
    out = len(titles) if titles else sum(len(nb["exercises"]) for nb in record["notebooks"])
    score = f"{record['total']} / {out}"
    if points:  # a grading file (or a deadline) is in force: points after weights and late penalties
        score = f"{fmt(record['points'])} / {fmt(record['possible'])} points"
    lines = [f"# Feedback for {record['learner']}", "",
             f"**Score: {score}** (checked with grading seed {seed}: the checks used other",
             "inputs than the practice checks in your notebook).", ""]
    lines += [f"- {note}" for note in record["notes"]] + ([""] if record["notes"] else [])
    for nb in record["notebooks"]:
        score = sum(e["status"] == "passed" for e in nb["exercises"])
        heading = f"{score} / {len(nb['exercises'])}"
        if points:
            heading = f"{fmt(nb['subtotal'])} / {fmt(nb['possible'])} points"
        lines += [f"## {nb['notebook']}: {heading}", ""]
        if nb.get("late") and nb["late"]["days_late"] > 0:
            late = nb["late"]
            lines += [f"Handed in {fmt(late['days_late'])} days late ({late['submitted']}, from the "
                      f"{late['source']}): {fmt(100 * late['penalty'])}% taken off.", ""]
        if nb["status"] != "ok" or nb["notes"]:
            lines += [f"Status: **{nb['status']}**."] + [f"- {note}" for note in nb["notes"]] + [""]
        for e in nb["exercises"]:
            title = titles.get(e["exercise"], "")
            text = f"- **{e['exercise']}** {title} — *{_LABEL.get(e['status'], e['status'])}*: {e['message']}"
            lines.append(text + (f" *Hint:* {e['hint']}" if e["hint"] else ""))
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def progress_table(record: dict, titles: dict[str, str]) -> str:
    """A plain-text table of one learner's exercises, notebook by notebook, for `make progress`."""
    lines, done, total = [], 0, 0
    for nb in record["notebooks"]:
        passed = sum(e["status"] == "passed" for e in nb["exercises"])
        done, total = done + passed, total + len(nb["exercises"])
        status = "" if nb["status"] == "ok" else f"  [{nb['status']}: {'; '.join(nb['notes'])}]"
        lines.append(f"{nb['notebook']}: {passed} of {len(nb['exercises'])} done{status}")
        for e in nb["exercises"]:
            text = titles.get(e["exercise"], "")
            if e["status"] in ("failed", "error"):
                text += f": {e['message']}"
            elif e["status"] == "not_answered" and "not defined" in e["message"]:
                text += f": {e['message']}"
            lines.append(f"  {e['exercise']:<6} {_LABEL.get(e['status'], e['status']):<13} {text}")
    return "\n".join(lines + ["", f"{done} of {total} exercises done."])


def safe_name(learner: str) -> str:
    """A file name for a learner's feedback: any script kept, separators and controls replaced, no leading - or ."""
    text = unicodedata.normalize("NFC", learner)
    text = "".join("_" if ch in _UNSAFE or unicodedata.category(ch)[0] in "CZ" else ch for ch in text)
    text = text.lstrip(".-")  # no hidden files, no file name an rm or a shell would take for an option
    while len(text.encode("utf-8")) > 200:  # file systems stop at 255 bytes; leave room for _ and .md
        text = text[:-1]
    return text or "learner"


def atomic_write(path: Path, text: str) -> None:
    """Write through a temp file in the same folder and os.replace: readers never see half a file.

    mkstemp makes the file 0600; it gets the mode a plain open() would give (0666 minus the umask),
    so the instructor's group on a shared server can read the gradebook when their umask allows it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~current_umask())
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def current_umask() -> int:
    """The process's umask, read without changing it where Linux allows (/proc), else set and restored."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
