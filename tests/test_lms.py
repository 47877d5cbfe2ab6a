"""LMS import files from the LMS's own roster export, with the matching rule and the unmatched lists.

The rosters are written by hand from the documented formats. Canvas: the gradebook export/import CSV
(identity columns Student, ID, SIS User ID, SIS Login ID, Section; assignments headed "Name (id)"; a
"Points Possible" row; read-only score columns), as described by Ohio State's "Import a CSV file into
Carmen grades" and VCU's "Gradebook Action Menu" guides for Canvas. Moodle: the grade export ("Plain text
file") that grade import reads back (docs.moodle.org "Grade import": map from Email address or ID number,
existing columns only), with the default user fields First name, Last name, ID number, Institution,
Department, Email address, and grade columns headed as Moodle's grade_export::format_column_name writes
them: "Module: Item (Real)" for activities, "Item (Real)" for manual items.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from grading_records import LAYOUT, TITLES, record
from helpers.grading import lms, lms_export, points

CANVAS = '''Student,ID,SIS User ID,SIS Login ID,Section,Autograd practice (4321),02_beta (555),Quiz 1 (1234),Current Score,Final Score
    Points Possible,,,,,5.00,3.00,5.00,(read only),(read only)
"Lovelace, Ada",101,A001,ada@uni.edu,Section 1,,,4.00,80.00,80.00
"Turing, Alan",102,A002,aturing,Section 1,,,5.00,100.00,100.00
"Hopper, Grace",103,A003,ghopper,Section 2,,,,,
"Doe, Jane",104,A004,jdoe@uni.edu,Section 2,,,3.00,60.00,60.00
"Student, Test",999,,,Section 1,,,,,
'''
MOODLE = '''First name,Last name,ID number,Institution,Department,Email address,Autograd practice (Real),Assignment: 01_alpha (Real),Quiz: Quiz 1 (Real),Course total (Real),Last downloaded from this course
Ada,Lovelace,A001,Uni,Maths,ada@uni.edu,-,-,4.00,4.00,1765000000
Alan,Turing,,Uni,Maths,alan.turing@uni.edu,-,-,5.00,5.00,1765000000
Grace,Hopper,A003,Uni,CS,grace@uni.edu,-,-,-,-,1765000000
'''


def graded(names: list[str]) -> dict:
    scheme = points.load_scheme(None, LAYOUT)
    passed = {"ada": {"01.1", "02.1"}, "aturing": {"01.1", "01.2", "02.1", "02.2", "02.3"}}
    records = [points.apply(record(n, passed.get(n, {"01.1"})), scheme) for n in names]
    return {"seed": 1, "exercises": TITLES, "learners": records, "scheme": scheme.to_json(), "late": None}


def roster(tmp_path: Path, text: str, bom: bool = False) -> Path:
    path = tmp_path / "roster.csv"
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode())
    return path


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_canvas_import_keeps_identity_columns_and_lists_the_unmatched(tmp_path: Path) -> None:
    config = {"columns": {"total": "Autograd practice (4321)"}, "learners": {"jdoe-laptop": "jdoe@uni.edu"}}
    text, summary = lms_export.export("canvas", graded(["ada", "aturing", "ghost", "jdoe-laptop"]),
                                      roster(tmp_path, CANVAS, bom=True), config)
    assert rows(text) == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Autograd practice (4321)"],
        ["    Points Possible", "", "", "", "", "5"],
        ["Lovelace, Ada", "101", "A001", "ada@uni.edu", "Section 1", "2"],   # folder "ada" = login before '@'
        ["Turing, Alan", "102", "A002", "aturing", "Section 1", "5"],        # folder = SIS Login ID
        ["Doe, Jane", "104", "A004", "jdoe@uni.edu", "Section 2", "1"],      # through [lms.learners]
    ]  # Hopper and the test student matched no learner: left out, so Canvas keeps what it has
    joined = "\n".join(summary)
    assert "3 of 4 learners matched to 5 roster rows" in joined
    assert "learners in no roster row (1, not in the import file): ghost (in no roster row)" in joined
    assert "roster rows with no learner (2, left out so the LMS keeps their grades): Hopper, Grace (ghopper); " \
        "Student, Test (999)" in joined
    assert "SIS Login ID or SIS User ID or ID" in joined  # the rule, spelled out


def test_canvas_columns_found_by_notebook_name_without_a_mapping(tmp_path: Path) -> None:
    text, summary = lms_export.export("canvas", graded(["aturing"]), roster(tmp_path, CANVAS), {})
    assert rows(text)[0][-1] == "02_beta (555)" and rows(text)[2] == ["Turing, Alan", "102", "A002", "aturing", "Section 1", "3"]
    assert "02_beta -> '02_beta (555)'" in summary[1]


def test_ambiguous_matches_match_nothing(tmp_path: Path) -> None:
    found, missing, unmatched = lms.match(["A001", "a001", "ann"], [
        {"SIS Login ID": "a001", "SIS User ID": "x"}, {"SIS Login ID": "ann@x.org", "SIS User ID": "1"},
        {"SIS Login ID": "ann", "SIS User ID": "2"}], "canvas", {})
    assert found == {}
    assert missing == [("A001", "shares a roster row with a001"), ("a001", "shares a roster row with A001"),
                       ("ann", "fits two roster rows")]
    assert unmatched == [0, 1, 2]


def test_moodle_import_has_one_identifier_and_existing_items_only(tmp_path: Path) -> None:
    config = {"columns": {"total": "Autograd practice (Real)", "01_alpha": "Assignment: 01_alpha (Real)"}}
    path = roster(tmp_path, MOODLE)
    text, summary = lms_export.export("moodle", graded(["ada", "alan.turing", "nobody"]), path, config)
    assert rows(text) == [["Email address", "Autograd practice (Real)", "Assignment: 01_alpha (Real)"],
                          ["ada@uni.edu", "2", "1"], ["alan.turing@uni.edu", "1", "1"]]
    assert "nobody (in no roster row)" in summary[2] and "Grace Hopper (grace@uni.edu)" in summary[3]
    by_id, summary = lms_export.export("moodle", graded(["A001", "alan.turing"]), path, config, moodle_id="idnumber")
    assert rows(by_id) == [["ID number", "Autograd practice (Real)", "Assignment: 01_alpha (Real)"], ["A001", "1", "1"]]
    # Turing's row has no ID number: Moodle would abort the whole import at it
    assert "matched but left out, their roster row has no ID number (1): alan.turing" in summary


@pytest.mark.parametrize("kind, config, message", [
    ("moodle", {"columns": {"total": "Quiz 2 (Real)"}}, "the roster has no grade column 'Quiz 2 (Real)'"),
    ("moodle", {"columns": {"total": "Course total (Real)"}}, "no grade column"),  # never the computed total
    ("moodle", {"columns": {"week1": "Quiz: Quiz 1 (Real)"}}, "keys are 'total' or a notebook"),
    ("canvas", {"columns": {"total": "Current Score"}}, "no grade column 'Current Score'"),  # read-only column
    ("moodle", {"columns": {"total": "Quiz: Quiz 1 (Percentage)"}}, "no grade column"),  # a view, not points
])
def test_bad_column_mappings_say_what_exists(tmp_path: Path, kind: str, config: dict, message: str) -> None:
    path = roster(tmp_path, MOODLE if kind == "moodle" else CANVAS)
    with pytest.raises(lms.LmsError) as caught:
        lms_export.export(kind, graded(["ada"]), path, config)
    assert message in str(caught.value)


def test_roster_problems_are_messages(tmp_path: Path) -> None:
    with pytest.raises(lms.LmsError, match="needs the roster"):
        lms_export.export("canvas", graded(["ada"]), None, {})
    with pytest.raises(lms.LmsError, match="cannot read the roster"):
        lms_export.export("canvas", graded(["ada"]), tmp_path / "missing.csv", {})
    with pytest.raises(lms.LmsError, match="no 'Email address' column"):
        lms_export.export("moodle", graded(["ada"]), roster(tmp_path, "ID number,Quiz: Q (Real)\nA1,2\n"), {})
    with pytest.raises(lms.LmsError, match="no grade column of the roster is named like"):
        lms_export.export("canvas", graded(["ada"]), roster(tmp_path, "Student,ID,Section,Quiz 1 (1)\nx,1,A,2\n"), {})
    with pytest.raises(lms.LmsError, match="needs Student, ID and Section"):
        lms_export.export("canvas", graded(["ada"]), roster(tmp_path, "Student,ID,Quiz 1 (1)\nx,1,2\n"), {})


def test_canvas_with_separate_first_and_last_names(tmp_path: Path) -> None:
    """Canvas's setting "show separate first and last names" exports LastName, FirstName instead of Student."""
    text, summary = lms_export.export("canvas", graded(["aturing", "nobody"]), roster(
        tmp_path, "LastName,FirstName,ID,SIS Login ID,Section,02_beta (555)\nTuring,Alan,102,aturing,S1,\n"
                  "Hopper,Grace,103,ghopper,S2,\n"), {})
    assert rows(text) == [["LastName", "FirstName", "ID", "SIS Login ID", "Section", "02_beta (555)"],
                          ["Turing", "Alan", "102", "aturing", "S1", "3"]]
    assert "Grace Hopper (ghopper)" in summary[-1]


def test_long_format_rows_per_exercise_and_subtotal() -> None:
    text, _ = lms_export.export("long", graded(["ada"]), None, {})
    table = rows(text)
    assert table[0] == ["learner", "exercise", "points", "max", "status", "message"]
    assert table[1] == ["ada", "01.1", "1", "1", "passed", "well done."]
    assert table[2] == ["ada", "01.2", "0", "1", "failed", "01.2 is wrong. Hint: hint for 01.2."]
    assert table[3] == ["ada", "01_alpha subtotal", "1", "2", "ok", ""]
    assert len(table) == 1 + 5 + 2
