"""--shard K/N slices and the merge checks, on hand-made results (the real 3-shard run is in test_grading_scale)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from grading_records import LAYOUT, TITLES, record
from helpers.grading import outputs, points, shards

CLASS = [f"learner{i:03d}" for i in range(300)] + ["ñandú", "-dash"]


@pytest.mark.parametrize("text, message", [("0/3", "1 <= K <= N"), ("4/3", "1 <= K <= N"), ("2", "K/N"),
                                           ("a/b", "K/N"), ("", "K/N")])
def test_bad_shard_values(text: str, message: str) -> None:
    with pytest.raises(shards.ShardError, match=message):
        shards.parse(text)


def test_slices_cover_the_class_once_and_are_balanced() -> None:
    learners = {name: Path(name) for name in CLASS}
    parts = [shards.select(learners, k, 4) for k in (1, 2, 3, 4)]
    assert sorted(n for part in parts for n in part) == sorted(CLASS)
    assert all(60 <= len(part) <= 90 for part in parts), [len(p) for p in parts]
    # a learner's slice does not depend on who else is in the class
    assert shards.select({"ñandú": Path()}, shards.shard_of("ñandú", 4), 4) == {"ñandú": Path()}


def write_shards(tmp_path: Path, names: list[str], count: int) -> list[Path]:
    scheme = points.load_scheme(None, LAYOUT)
    paths = []
    for k in range(1, count + 1):
        mine = [n for n in names if shards.shard_of(n, count) == k]
        data = {"seed": 1, "exercises": TITLES, "learners": [points.apply(record(n, {"01.1"}), scheme) for n in mine],
                "scheme": scheme.to_json(), "late": None,
                "shard": {"index": k, "count": count, "class_size": len(names), "class_digest": shards.class_digest(names)}}
        out = tmp_path / f"s{k}" / "gradebook.csv"
        outputs.write(outputs.render(data, out, out.parent / "feedback"))
        paths.append(out.with_suffix(".json"))
    return paths


def test_merge_equals_the_single_run_even_with_an_empty_shard(tmp_path: Path) -> None:
    names = ["ann", "bob"]
    paths = write_shards(tmp_path, names, 5)  # at least 3 of the 5 slices are empty
    assert sum(not json.loads(p.read_text())["learners"] for p in paths) >= 3
    merged = shards.merge(paths[::-1])
    scheme = points.load_scheme(None, LAYOUT)
    single = {"seed": 1, "exercises": TITLES, "learners": [points.apply(record(n, {"01.1"}), scheme) for n in names],
              "scheme": scheme.to_json(), "late": None}
    assert outputs.render(merged, tmp_path / "g.csv", tmp_path / "fb") == \
        outputs.render(single, tmp_path / "g.csv", tmp_path / "fb")


def test_merge_refuses_what_would_not_equal_a_single_run(tmp_path: Path) -> None:
    paths = write_shards(tmp_path, ["ann", "bob", "cy", "dee"], 2)
    with pytest.raises(shards.ShardError, match="expected shards 1..2 once each, got 1, 1"):
        shards.merge([paths[0], paths[0]])
    stale = json.loads(paths[1].read_text())
    stale["learners"] = stale["learners"][:-1]  # a shard that lost a learner
    paths[1].write_text(json.dumps(stale))
    with pytest.raises(shards.ShardError, match="missing or stale"):
        shards.merge(paths)
    other = json.loads(paths[0].read_text())
    other["seed"] = 7
    (tmp_path / "other.json").write_text(json.dumps(other))
    with pytest.raises(shards.ShardError, match="different 'seed'"):
        shards.merge([tmp_path / "other.json", write_shards(tmp_path / "x", ["ann", "bob", "cy", "dee"], 2)[1]])
    single = tmp_path / "single.json"
    single.write_text(json.dumps({k: v for k, v in other.items() if k != "shard"}))
    with pytest.raises(shards.ShardError, match="not a shard's output"):
        shards.merge([single])
    with pytest.raises(shards.ShardError, match="cannot read"):
        shards.merge([tmp_path / "nope.json"])
