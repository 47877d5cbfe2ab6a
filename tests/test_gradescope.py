"""results.json for Gradescope from one graded learner (the real run_autograder is in test_grading_scale)."""
from __future__ import annotations

import json

from grading_records import B, LAYOUT, TITLES, record
from helpers.grading import gradescope, points


def test_one_test_per_exercise_with_spec_fields() -> None:
    scheme = points.Scheme.from_json({"custom": True, "notebooks": [
        {"notebook": "01_alpha.ipynb", "weight": 2, "points": {"01.1": 1, "01.2": 3}},
        {"notebook": "02_beta.ipynb", "weight": 1, "points": {"02.1": 1, "02.2": 1, "02.3": 1}}]})
    learner = record("x", {"01.2", "02.1"})
    learner["notebooks"][1]["late"] = {"days_late": 1.2, "penalty": 0.5, "submitted": "", "source": "file time"}
    result = gradescope.results(points.apply(learner, scheme), TITLES, "hidden")
    assert set(result) == {"score", "output", "visibility", "stdout_visibility", "tests"}
    assert result["score"] == 6.5  # 3 x 2 + 1 x 0.5 (handed in late: half off)
    first = result["tests"][0]
    assert set(first) == {"name", "number", "score", "max_score", "status", "output", "visibility"}
    assert (first["name"], first["score"], first["max_score"], first["visibility"]) == ("01.1 first", 0, 2, "hidden")
    assert first["output"] == "01.1 is wrong.\nHint: hint for 01.1."
    assert [t["score"] for t in result["tests"]] == [0, 6, 0.5, 0, 0]
    assert sum(t["score"] for t in result["tests"]) == result["score"]
    json.dumps(result, allow_nan=False)  # plain JSON, as Gradescope reads it


def test_a_missing_notebook_says_so_in_each_test() -> None:
    learner = points.apply(record("x", {"01.1"}, missing=(B.name,)), points.load_scheme(None, LAYOUT))
    result = gradescope.results(learner, TITLES)
    assert result["tests"][2]["output"] == "no notebook with this name was handed in.\n(02_beta.ipynb: missing)"
    assert "02_beta.ipynb: missing" in result["output"] and result["score"] == 1
