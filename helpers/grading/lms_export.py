"""Write the LMS import file for a graded class (Canvas, Moodle or long format) and say who matched whom."""
from __future__ import annotations

import csv
import io
from pathlib import Path

from helpers.grading import lms
from helpers.grading.points import fmt

MOODLE_IDS = {"email": "Email address", "idnumber": "ID number"}
FILE_NAMES = {"canvas": "canvas_import.csv", "moodle": "moodle_import.csv", "long": "grades_long.csv"}


def export(kind: str, data: dict, roster: Path | None, config: dict, moodle_id: str = "email") -> tuple[str, list[str]]:
    """The import file's text and the summary lines (matched, unmatched learners, unmatched roster rows)."""
    if kind == "long":
        return lms.long_csv(data), [f"long format: {len(data['learners'])} learners, one row per exercise and "
                                    "per notebook subtotal"]
    if roster is None:
        raise lms.LmsError(f"the {kind} export needs the roster the LMS exports (--roster FILE)")
    header, rows = lms.read_roster(roster)
    if kind == "canvas":
        identity = [c for c in lms.CANVAS_IDENTITY if c in header]
    else:
        if moodle_id not in MOODLE_IDS or MOODLE_IDS[moodle_id] not in header:
            raise lms.LmsError(f"the Moodle roster has no {MOODLE_IDS.get(moodle_id, moodle_id)!r} column; export "
                               "it again with that user field, or choose --lms-id email / idnumber")
        identity = [MOODLE_IDS[moodle_id]]
    keys = ["total"] + [nb["notebook"].removesuffix(".ipynb") for nb in data["scheme"]["notebooks"]]
    columns = lms.columns_for(kind, header, config.get("columns", {}), keys)
    aliases = config.get("learners", {})
    special = [i for i, r in enumerate(rows) if kind == "canvas" and (r.get("Student") or "").strip() == "Points Possible"]
    students = [r for i, r in enumerate(rows) if i not in special]
    records = {r["learner"]: r for r in data["learners"]}
    found, missing, unmatched = lms.match(list(records), students, kind, aliases)
    by_row = {index: learner for learner, index in found.items()}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(identity + list(columns.values()))
    most = lms.possible(data)
    for i in special:  # Canvas's own 'Points Possible' row stays where Canvas put it, first
        writer.writerow([rows[i].get(c, "") for c in identity] + [fmt(most[k]) for k in columns])
    for index, row in enumerate(students):
        learner = by_row.get(index)
        worth = lms.scores(records[learner]) if learner else {}
        writer.writerow([row.get(c, "") for c in identity] + [fmt(worth[k]) if learner else "" for k in columns])
    lines = [f"{kind}: {len(found)} of {len(records)} learners matched to {len(students)} roster rows; rule: "
             + lms.rule(kind, header),
             "columns: " + ", ".join(f"{k} -> {v!r}" for k, v in columns.items())]
    if missing:
        lines.append(f"learners in no roster row ({len(missing)}, not in the import file): "
                     + "; ".join(f"{name} ({why})" for name, why in missing))
    if unmatched:
        show = [_describe(students[i], kind) for i in unmatched]
        lines.append(f"roster rows with no learner ({len(unmatched)}, written with blank scores): " + "; ".join(show))
    return out.getvalue(), lines


def _describe(row: dict, kind: str) -> str:
    if kind == "canvas":
        return f"{row.get('Student', '').strip()} ({row.get('SIS Login ID') or row.get('ID') or '?'})"
    name = f"{row.get('First name', '')} {row.get('Last name', '')}".strip()
    return f"{name} ({row.get('Email address') or row.get('ID number') or '?'})"
