"""Points and weights from the instructor's TOML file, and the gradebook they give."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from grading_records import LAYOUT, TITLES, record
from helpers.grading import outputs, points, report

ROOT = Path(__file__).resolve().parent.parent


def scheme_from(tmp_path: Path, text: str) -> points.Scheme:
    path = tmp_path / "grading.toml"
    path.write_text(text)
    return points.load_scheme(path, LAYOUT)


def test_default_is_one_point_per_exercise_and_todays_gradebook(tmp_path: Path) -> None:
    scheme = points.load_scheme(None, LAYOUT)
    records = [points.apply(record("ann", {"01.1", "02.2"}), scheme), points.apply(record("bob", set()), scheme)]
    assert [r["points"] for r in records] == [2, 0] and records[0]["possible"] == 5
    data = {"seed": 1, "exercises": TITLES, "learners": records, "scheme": scheme.to_json(), "late": None}
    files = outputs.render(data, tmp_path / "gradebook.csv", tmp_path / "feedback")
    # the gradebook without a grading file is byte for byte the one the grader always wrote
    assert files[tmp_path / "gradebook.csv"] == report.gradebook_csv(records, list(TITLES))
    assert files[tmp_path / "gradebook.csv"].splitlines()[1] == "ann,1,0,0,1,0,2,ok,"
    assert "**Score: 2 / 5**" in files[tmp_path / "feedback" / "ann.md"]


def test_points_weights_subtotals_and_points_possible_row(tmp_path: Path) -> None:
    scheme = scheme_from(tmp_path, '[points]\n"01.1" = 2\n"02.3" = 0.5\n[weights]\n"02_beta" = 3\n')
    ann = points.apply(record("ann", {"01.1", "02.1", "02.3"}), scheme)
    # 01: 2 of 3 points, weight 1; 02: 1.5 of 2.5 points, weight 3 -> 4.5 of 7.5
    assert [nb["subtotal"] for nb in ann["notebooks"]] == [2.0, 4.5]
    assert (ann["points"], ann["possible"]) == (6.5, 10.5)
    rows = list(csv.reader(io.StringIO(outputs.scored_gradebook_csv([ann], scheme, late=False))))
    assert rows[0] == ["learner", "01.1", "01.2", "01_alpha subtotal", "02.1", "02.2", "02.3", "02_beta subtotal",
                       "total", "status", "review"]
    assert rows[1] == ["points possible", "2", "1", "3", "1", "1", "0.5", "7.5", "10.5", "", ""]
    assert rows[2] == ["ann", "2", "0", "2", "1", "0", "0.5", "4.5", "6.5", "ok", ""]


def test_feedback_shows_points_when_a_grading_file_is_used(tmp_path: Path) -> None:
    scheme = scheme_from(tmp_path, '[weights]\n"01_alpha.ipynb" = 2\n')
    ann = points.apply(record("ann", {"01.1"}), scheme)
    text = report.feedback_markdown(ann, TITLES, 1, points=True)
    assert "**Score: 2 / 7 points**" in text and "## 01_alpha.ipynb: 2 / 4 points" in text


@pytest.mark.parametrize("text, message", [
    ('[points]\n"07.1" = 2\n', "exercises this course does not have: 07.1"),
    ('[points]\n"01.1" = -1\n', "expected a number >= 0"),
    ('[points]\n"01.1" = "two"\n', "expected a number >= 0"),
    ('[weights]\n"09_gamma" = 2\n', "notebooks this course does not have: 09_gamma"),
    ('[point]\n"01.1" = 2\n', "unknown table(s) point"),
    ('[points\n', "is not valid TOML"),
    ('[late]\ndue = "2026-01-01"\nwhen = 3\n', "[late] may hold only"),
])
def test_a_bad_grading_file_says_what_is_wrong(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(points.SchemeError, match=None) as caught:
        scheme_from(tmp_path, text)
    assert message in str(caught.value)


def test_missing_grading_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(points.SchemeError, match="cannot read the grading file"):
        points.load_scheme(tmp_path / "nope.toml", LAYOUT)


def test_the_example_grading_file_loads_for_the_course() -> None:
    """grading.example.toml (what instructors copy) names only exercises and notebooks the course has."""
    from helpers import checks  # noqa: F401  (registers the course's rules)
    from helpers.checking import REGISTRY
    from helpers.grading import collect

    assignments = collect.load_assignments(ROOT / "exercises", REGISTRY)
    layout = [(a.name, [i for i, _ in a.exercises]) for a in assignments]
    scheme = points.load_scheme(ROOT / "grading.example.toml", layout)
    assert scheme.custom and any(w != 1 for _, w, _ in scheme.notebooks)
    assert any(p != 1 for _, _, ex in scheme.notebooks for _, p in ex)


@pytest.mark.parametrize("value, text", [(2.0, "2"), (1.5, "1.5"), (1 / 3, "0.33"), (0.0, "0"), (-0.0, "0"),
                                         (None, "")])
def test_numbers_in_cells(value: float | None, text: str) -> None:
    assert points.fmt(value) == text
