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
        if not ({"Student", "LastName"} & set(identity) and {"ID", "Section"} <= set(identity)):
            raise lms.LmsError("a Canvas roster needs Student, ID and Section columns: export it from the Canvas "
                               "gradebook (Export > Export Entire Gradebook)")
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
    no_id = []
    for index, row in enumerate(students):
        if index not in by_row:  # unmatched rows stay out: a blank cell would erase the LMS's grade
            continue
        if not all((row.get(c) or "").strip() for c in identity[:1] if kind == "moodle"):
            no_id.append(by_row[index])  # Moodle aborts the whole import at a row without its identifier
            continue
        worth = lms.scores(records[by_row[index]])
        writer.writerow([row.get(c, "") for c in identity] + [fmt(worth[k]) for k in columns])
    lines = [f"{kind}: {len(found) - len(no_id)} of {len(records)} learners matched to {len(students)} roster rows; rule: "
             + lms.rule(kind, header),
             "columns: " + ", ".join(f"{k} -> {v!r}" for k, v in columns.items())]
    if no_id:
        lines.append(f"matched but left out, their roster row has no {identity[0]} ({len(no_id)}): " + "; ".join(no_id))
    if missing:
        lines.append(f"learners in no roster row ({len(missing)}, not in the import file): "
                     + "; ".join(f"{name} ({why})" for name, why in missing))
    if unmatched:
        show = [_describe(students[i], kind) for i in unmatched]
        lines.append(f"roster rows with no learner ({len(unmatched)}, left out so the LMS keeps their grades): "
                     + "; ".join(show))
    return out.getvalue(), lines


def _describe(row: dict, kind: str) -> str:
    if kind == "canvas":
        name = row.get("Student") or f"{row.get('FirstName', '')} {row.get('LastName', '')}"
        return f"{name.strip()} ({row.get('SIS Login ID') or row.get('ID') or '?'})"
    name = f"{row.get('First name', '')} {row.get('Last name', '')}".strip()
    return f"{name} ({row.get('Email address') or row.get('ID number') or '?'})"
