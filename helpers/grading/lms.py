"""Grades in the LMS's own import format, from the roster the LMS exports (Canvas, Moodle), or a long table.

Canvas: its gradebook export CSV is the roster; the import file keeps its identity columns (Student, ID,
SIS User ID, SIS Login ID, Integration ID, Section) and one column per assignment headed `Name (id)`.
Moodle: its grade export CSV is the roster; the import file has one identifier column (Email address or
ID number) and columns for grade items that already exist (headed as Moodle exported them).
Only matched rows get a score; rows no learner matched are left out of the file, because both importers
treat a blank cell as "no grade" and would erase what the LMS holds (Moodle's gradeimport_csv sets '' to
null; Canvas's GradebookImporter counts a blank over a score as a change), and a Moodle row with an empty
identifier aborts the whole import. The summary lists those rows and the learners no row matched; a
learner matches a row by the rule that `rule` spells out.
"""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from helpers.grading.points import fmt

KEYS = {"canvas": ["SIS Login ID", "SIS User ID", "ID", "Integration ID"],
        "moodle": ["Email address", "ID number", "Username"]}
# In Canvas's order: its importer reads Student (or LastName, FirstName), ID, the SIS columns, then Section.
CANVAS_IDENTITY = ["LastName", "FirstName", "Student", "ID", "SIS User ID", "SIS Login ID", "Integration ID",
                   "Root Account", "Section"]
_CANVAS_ITEM = re.compile(r"^(.*\S)\s+\((\d+)\)$")  # "Autograd practice (4321)"
# "Assignment: Lab 1 (Real)" for an activity, "Lab 1 (Real)" for a manual item (English export)
_MOODLE_ITEM = re.compile(r"^(?:[^:]*:\s*)?(.*\S)\s+\(Real\)$")  # points, not the % or letter views
LONG_HEADER = ["learner", "exercise", "points", "max", "status", "message"]


class LmsError(ValueError):
    """A roster or column mapping that cannot be used (the message says what to change)."""


def read_roster(path: Path) -> tuple[list[str], list[dict]]:
    """Header and rows of an LMS export (UTF-8, with or without the byte-order mark Excel adds)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise LmsError(f"cannot read the roster {path}: {exc}") from None
    reader = csv.DictReader(io.StringIO(text))
    header = list(reader.fieldnames or [])
    if not header:
        raise LmsError(f"the roster {path} is empty")
    return header, [dict(row) for row in reader]


def rule(kind: str, header: list[str]) -> str:
    """The matching rule in words, for the summary and instructors.md."""
    keys = [k for k in KEYS[kind] if k in header]
    return (f"a learner's folder name (or its alias in [lms.learners]) equals a row's {' or '.join(keys)}, "
            "or the part of an email there before '@', ignoring case; a name that fits two rows, or a row "
            "that two learners fit, matches nothing")


def items(kind: str, header: list[str]) -> dict[str, str]:
    """Grade columns the roster already has: header -> plain name ('Lab 1 (4321)' -> 'Lab 1')."""
    pattern = _CANVAS_ITEM if kind == "canvas" else _MOODLE_ITEM
    found = {h: m.group(1) for h in header if (m := pattern.match(h))}
    return {h: name for h, name in found.items() if name.lower() != "course total"}


def columns_for(kind: str, header: list[str], mapping: dict[str, str], keys: list[str]) -> dict[str, str]:
    """Score key (a notebook without .ipynb, or 'total') -> roster column; by [lms.columns], else by equal name."""
    available = items(kind, header)
    if mapping:
        if bad := sorted(k for k in mapping if k not in keys):
            raise LmsError(f"[lms.columns] names {', '.join(bad)}; keys are 'total' or a notebook: {', '.join(keys)}")
        if bad := sorted(v for v in mapping.values() if v not in available):
            raise LmsError(f"the roster has no grade column {', '.join(map(repr, bad))}; it has: "
                           f"{', '.join(map(repr, available)) or 'none'}")
        return dict(mapping)
    by_name = {name.lower(): h for h, name in available.items()}
    found = {k: by_name[k.lower()] for k in keys if k.lower() in by_name}
    if not found:
        raise LmsError(f"no grade column of the roster is named like a notebook or 'total'. Create the item in the "
                       f"LMS and export the roster again, or map one in the grading file, e.g. [lms.columns] "
                       f"total = \"...\"; the roster's grade columns: {', '.join(map(repr, available)) or 'none'}")
    return found


def match(learners: list[str], rows: list[dict], kind: str, aliases: dict[str, str]) -> tuple[dict, list, list]:
    """Learner -> row index; unmatched learners (with why); indexes of rows no learner matched."""
    keys = [k for k in KEYS[kind] if rows and k in rows[0]]
    ids: dict[str, set[int]] = {}
    for index, row in enumerate(rows):
        for key in keys:
            value = (row.get(key) or "").strip().lower()
            for v in {value, value.split("@")[0]} if "@" in value else {value}:
                if v:
                    ids.setdefault(v, set()).add(index)
    found, missing, claimed = {}, [], {}
    for learner in learners:
        rows_here = ids.get(aliases.get(learner, learner).strip().lower(), set())
        if len(rows_here) == 1:
            found[learner] = next(iter(rows_here))
            claimed.setdefault(found[learner], []).append(learner)
        else:
            missing.append((learner, "fits two roster rows" if rows_here else "in no roster row"))
    for index, names in claimed.items():
        if len(names) > 1:
            for name in names:
                del found[name]
                missing.append((name, f"shares a roster row with {', '.join(n for n in names if n != name)}"))
    unmatched_rows = [i for i in range(len(rows)) if i not in set(found.values())]
    return found, sorted(missing), unmatched_rows


def scores(record: dict) -> dict[str, float]:
    """What each score key is worth for a learner: 'total' and every notebook's subtotal."""
    out = {nb["notebook"].removesuffix(".ipynb"): nb["subtotal"] for nb in record["notebooks"]}
    out["total"] = record["points"]
    return out


def possible(data: dict) -> dict[str, float]:
    """The most each score key can be worth."""
    out = {nb["notebook"].removesuffix(".ipynb"): nb["weight"] * sum(nb["points"].values())
           for nb in data["scheme"]["notebooks"]}
    out["total"] = sum(out.values())
    return out


def long_csv(data: dict) -> str:
    """learner, exercise, points, max, status, message: a row per exercise and per notebook subtotal."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(LONG_HEADER)
    for record in data["learners"]:
        for nb in record["notebooks"]:
            for e in nb["exercises"]:
                message = e["message"] + (f" Hint: {e['hint']}" if e["hint"] else "")
                writer.writerow([record["learner"], e["exercise"], fmt(e["points"]), fmt(e["max"]), e["status"], message])
            late = nb.get("late")
            note = f"{fmt(late['days_late'])} days late, {fmt(100 * late['penalty'])}% off" if late else ""
            writer.writerow([record["learner"], f"{nb['notebook'].removesuffix('.ipynb')} subtotal",
                             fmt(nb["subtotal"]), fmt(nb["possible"]), nb["status"], "; ".join(filter(None, [note, *nb["notes"]]))])
    return out.getvalue()
