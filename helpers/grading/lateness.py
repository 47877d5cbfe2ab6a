"""Deadlines: when each notebook was handed in, how late that is, and the penalty a late policy gives it.

The hand-in time is nbgrader's `timestamp.txt` (in the notebook's folder or a parent folder up to the
learner's), else the notebook file's modification time. Policies:
  none          lateness is shown, nothing is taken off;
  per-day:P     P percent off per started day late (capped at 100);
  cutoff:WHEN   full marks until WHEN, zero after it (between the due time and WHEN nothing is taken off).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

DAY = 86400.0


class LateError(ValueError):
    """A due date or policy that cannot be read (the message says what is expected)."""


@dataclass(frozen=True)
class Rule:
    """The due time and the late policy: kind 'none', 'per-day' (percent) or 'cutoff' (time)."""

    due: datetime
    kind: str = "none"
    percent: float = 0.0
    cutoff: datetime | None = None

    def to_json(self) -> dict:
        """Plain data for the report JSON."""
        return {"due": iso(self.due), "policy": self.describe()}

    def describe(self) -> str:
        """The policy as the command line spells it."""
        return {"none": "none", "per-day": f"per-day:{self.percent:g}"}.get(self.kind) or f"cutoff:{iso(self.cutoff)}"


def parse_time(value: object, what: str = "time") -> datetime:
    """An ISO 8601 time ('2026-12-10T23:59:00+01:00', '2026-12-10 23:59:00.123 UTC'); no zone means UTC."""
    if isinstance(value, datetime):
        moment = value
    else:
        text = re.sub(r"\s*(UTC|GMT|Z)$", "+00:00", str(value).strip())
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise LateError(f"cannot read the {what} {value!r}: write it as 2026-12-10T23:59:00+00:00") from None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def parse_rule(due: object | None, policy: str | None) -> Rule | None:
    """The rule from --due and --late (or the grading file's [late] table); None without a due time."""
    if due is None:
        if policy not in (None, "none"):
            raise LateError("a late policy needs a due time (--due)")
        return None
    moment = parse_time(due, "due time")
    kind, _, arg = (policy or "none").partition(":")
    if kind == "none" and not arg:
        return Rule(moment)
    if kind == "per-day":
        try:
            percent = float(arg)
        except ValueError:
            percent = -1.0
        if not 0 <= percent <= 100:
            raise LateError(f"per-day needs a percentage from 0 to 100, as in per-day:10 (got {policy!r})")
        return Rule(moment, "per-day", percent)
    if kind == "cutoff":
        cutoff = parse_time(arg, "cut-off time")
        if cutoff < moment:
            raise LateError("the cut-off is before the due time")
        return Rule(moment, "cutoff", cutoff=cutoff)
    raise LateError(f"unknown late policy {policy!r}: use none, per-day:PERCENT or cutoff:TIME")


def iso(moment: datetime | None) -> str:
    """UTC, seconds precision: '2026-12-10T23:59:00+00:00'."""
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat() if moment else ""


def handed_in(folder: Path, relative: str) -> tuple[datetime, str]:
    """When a learner's notebook was handed in, and where that was read from."""
    notebook = folder / relative
    here, source = notebook.parent, "file time"
    while True:
        stamp = here / "timestamp.txt"
        if stamp.is_file():
            try:
                return parse_time(stamp.read_text(encoding="utf-8").strip(), "timestamp"), "timestamp.txt"
            except (LateError, UnicodeDecodeError, OSError):
                source = "file time (timestamp.txt unreadable)"  # the gradebook JSON says why
                break
        if here == folder or folder not in here.parents:
            break
        here = here.parent
    return datetime.fromtimestamp(notebook.stat().st_mtime, timezone.utc), source


def lateness(submitted: datetime, rule: Rule) -> dict:
    """Days late (0 when on time) and the fraction taken off."""
    days = max(0.0, (submitted - rule.due).total_seconds() / DAY)
    if rule.kind == "per-day":
        penalty = min(1.0, math.ceil(days) * rule.percent / 100)
    elif rule.kind == "cutoff":
        penalty = 1.0 if submitted > rule.cutoff else 0.0
    else:
        penalty = 0.0
    return {"days_late": round(days, 4), "penalty": penalty}


def mark(record: dict, folder: Path, rule: Rule | None) -> dict:
    """Add `late` (hand-in time, source, days late, penalty) to each handed-in notebook of the record."""
    if rule is None:
        return record
    for nb in record["notebooks"]:
        if nb["file"] is None:
            nb["late"] = None
            continue
        submitted, source = handed_in(folder, nb["file"])
        nb["late"] = {"submitted": iso(submitted), "source": source, **lateness(submitted, rule)}
    return record
