"""Deadlines: hand-in times from nbgrader's timestamp.txt or the file time, lateness and the three policies."""
from __future__ import annotations

import csv
import io
import os
from datetime import datetime, timezone
from pathlib import Path

import pytest

from grading_records import A, B, LAYOUT, record
from helpers.grading import lateness, outputs, points

DUE = "2026-12-10T23:59:00+00:00"


def at(text: str) -> datetime:
    return lateness.parse_time(text)


@pytest.mark.parametrize("text, expected", [
    ("2026-12-10T23:59:00+01:00", "2026-12-10T22:59:00+00:00"),
    ("2026-12-10 23:59:00.123456 UTC", "2026-12-10T23:59:00+00:00"),  # nbgrader's timestamp.txt
    ("2026-12-10T23:59:00Z", "2026-12-10T23:59:00+00:00"),
    ("2026-12-10 23:59:00", "2026-12-10T23:59:00+00:00"),  # no zone: UTC, as nbgrader writes it
])
def test_times_are_read_in_utc(text: str, expected: str) -> None:
    assert lateness.iso(at(text)) == expected


@pytest.mark.parametrize("policy, submitted, days, penalty", [
    ("none", "2026-12-12T23:59:00Z", 2.0, 0.0),
    ("per-day:10", "2026-12-10T23:58:00Z", 0.0, 0.0),      # on time
    ("per-day:10", "2026-12-11T00:00:00Z", 1 / 1440, 0.1),  # a minute late: a started day
    ("per-day:10", "2026-12-12T11:59:00Z", 1.5, 0.2),
    ("per-day:30", "2026-12-14T23:59:00Z", 4.0, 1.0),       # capped at everything
    ("cutoff:2026-12-12T23:59:00Z", "2026-12-12T23:59:00Z", 2.0, 0.0),  # late but before the cut-off
    ("cutoff:2026-12-12T23:59:00Z", "2026-12-13T00:00:00Z", 2 + 1 / 1440, 1.0),
])
def test_policies(policy: str, submitted: str, days: float, penalty: float) -> None:
    result = lateness.lateness(at(submitted), lateness.parse_rule(DUE, policy))
    assert result["penalty"] == pytest.approx(penalty) and result["days_late"] == pytest.approx(days, abs=1e-4)


@pytest.mark.parametrize("due, policy, message", [
    (None, "per-day:10", "needs a due time"),
    (DUE, "per-day:150", "percentage from 0 to 100"),
    (DUE, "per-day:ten", "percentage from 0 to 100"),
    (DUE, "cutoff:2026-12-01T00:00:00Z", "before the due time"),
    (DUE, "weekly", "unknown late policy"),
    ("next friday", None, "cannot read the due time"),
])
def test_bad_deadlines_say_what_is_expected(due: str | None, policy: str | None, message: str) -> None:
    with pytest.raises(lateness.LateError) as caught:
        lateness.parse_rule(due, policy)
    assert message in str(caught.value)


def test_timestamp_txt_wins_over_the_file_time(tmp_path: Path) -> None:
    """nbgrader: submitted/<learner>/<assignment>/timestamp.txt next to the notebook; else the file's time."""
    learner = tmp_path / "ann"
    (learner / "ps1").mkdir(parents=True)
    (learner / "ps1" / A.name).write_text("{}")
    (learner / "ps1" / "timestamp.txt").write_text("2026-12-12 11:59:00.5 UTC\n")
    (learner / B.name).write_text("{}")
    os.utime(learner / B.name, (0, datetime(2026, 12, 9, tzinfo=timezone.utc).timestamp()))
    assert lateness.handed_in(learner, f"ps1/{A.name}") == (at("2026-12-12T11:59:00.5Z"), "timestamp.txt")
    assert lateness.handed_in(learner, B.name) == (at("2026-12-09T00:00:00Z"), "file time")
    (learner / "ps1" / "timestamp.txt").write_text("last tuesday\n")
    os.utime(learner / "ps1" / A.name, (0, at("2026-12-11T00:00:00Z").timestamp()))
    assert lateness.handed_in(learner, f"ps1/{A.name}") == (at("2026-12-11T00:00:00Z"),
                                                           "file time (timestamp.txt unreadable)")


def test_gradebook_shows_lateness_and_the_penalty_applied(tmp_path: Path) -> None:
    learner = tmp_path / "ann"
    learner.mkdir()
    for name, when in ((A.name, "2026-12-12T11:59:00Z"), (B.name, "2026-12-10T12:00:00Z")):
        (learner / name).write_text("{}")
        os.utime(learner / name, (0, at(when).timestamp()))
    scheme, rule = points.load_scheme(None, LAYOUT), lateness.parse_rule(DUE, "per-day:25")
    ann = points.apply(lateness.mark(record("ann", {"01.1", "01.2", "02.1"}), learner, rule), scheme)
    bob = points.apply(lateness.mark(record("bob", {"01.1"}, missing=(A.name, B.name)), tmp_path / "bob", rule), scheme)
    rows = list(csv.reader(io.StringIO(outputs.scored_gradebook_csv([ann, bob], scheme, late=True))))
    assert rows[0][3:6] == ["01_alpha subtotal", "01_alpha days late", "01_alpha late penalty"]
    # 01 handed in 1.5 days late: 2 started days at 25% -> half of 2 points; 02 on time
    assert rows[2] == ["ann", "1", "1", "1", "1.5", "50%", "1", "0", "0", "1", "0", "0%", "2", "ok", ""]
    assert rows[3][4:6] == ["", ""]  # nothing handed in: no lateness
    text = outputs.render({"seed": 1, "exercises": {}, "learners": [ann], "scheme": scheme.to_json(),
                           "late": rule.to_json()}, tmp_path / "g.csv", tmp_path / "fb")[tmp_path / "fb" / "ann.md"]
    assert "Handed in 1.5 days late (2026-12-12T11:59:00+00:00, from the file time): 50% taken off." in text


def test_the_grading_file_can_hold_the_deadline(tmp_path: Path) -> None:
    """[late] with a TOML date-time (no quotes) and a policy string."""
    path = tmp_path / "grading.toml"
    path.write_text('[late]\ndue = 2026-12-10T23:59:00+01:00\npolicy = "cutoff:2026-12-12T00:00:00Z"\n')
    late = points.load_scheme(path, LAYOUT).late
    rule = lateness.parse_rule(late["due"], late["policy"])
    assert rule.to_json() == {"due": "2026-12-10T22:59:00+00:00", "policy": "cutoff:2026-12-12T00:00:00+00:00"}
