"""Grading a class on many machines: `--shard K/N` grades a fixed slice, `merge` joins the slices' JSON.

A learner's shard depends only on their folder name (a hash), not on who else is in the class, so
shards run at different times on a class folder that gained a learner still never grade anyone twice;
merge then refuses the mismatch (each shard records how many learners it saw in the whole class).
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path


class ShardError(ValueError):
    """A --shard value or a set of shard outputs that cannot be merged (the message says why)."""


def parse(text: str) -> tuple[int, int]:
    """'2/3' -> (2, 3); K counts from 1."""
    k, sep, n = text.partition("/")
    if not (sep and k.isdigit() and n.isdigit() and 1 <= int(k) <= int(n)):
        raise ShardError(f"--shard takes K/N with 1 <= K <= N, as in 2/3 (got {text!r})")
    return int(k), int(n)


def shard_of(learner: str, count: int) -> int:
    """The shard (1..count) a learner's folder name falls in."""
    return int.from_bytes(hashlib.sha256(learner.encode("utf-8")).digest()[:8], "big") % count + 1


def class_digest(learners: list[str]) -> str:
    """A fingerprint of the whole class's folder names (every shard must have seen the same class)."""
    return hashlib.sha256("\n".join(sorted(learners)).encode("utf-8")).hexdigest()[:16]


def select(learners: dict, k: int, n: int) -> dict:
    """The learners of shard k of n, in their original order."""
    return {name: folder for name, folder in learners.items() if shard_of(name, n) == k}


def merge(paths: list[Path]) -> dict:
    """Join the shards' report JSONs into the report a single run writes; refuse gaps and mismatches."""
    reports = []
    for path in paths:
        try:
            reports.append((path, json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError) as exc:
            raise ShardError(f"cannot read {path}: {exc}") from None
    if not reports:
        raise ShardError("merge needs the JSON of every shard")
    info = []
    for path, data in reports:
        if "shard" not in data:
            raise ShardError(f"{path} is not a shard's output (it has no 'shard' entry)")
        info.append(data["shard"])
    count = info[0]["count"]
    seen = sorted(s["index"] for s in info)
    if seen != list(range(1, count + 1)):
        raise ShardError(f"expected shards 1..{count} once each, got {', '.join(map(str, seen))}")
    for key in ("count", "class_size", "class_digest"):
        if len({s[key] for s in info}) > 1:
            raise ShardError(f"the shards disagree on '{key}': they graded different classes or settings")
    first = reports[0][1]
    for key in ("seed", "exercises", "scheme", "late"):
        if any(data.get(key) != first.get(key) for _, data in reports):
            raise ShardError(f"the shards were graded with different '{key}'; grade them with the same options")
    learners = [record for _, data in reports for record in data["learners"]]
    names = [r["learner"] for r in learners]
    if len(set(names)) != len(names):
        raise ShardError("a learner appears in two shards")
    if len(names) != info[0]["class_size"] or class_digest(names) != info[0]["class_digest"]:
        raise ShardError(f"the shards hold {len(names)} learners, the class has {info[0]['class_size']}: "
                         "a shard's output is missing or stale")
    merged = {k: v for k, v in first.items() if k not in ("shard", "feedback", "learners")}
    merged["learners"] = sorted(learners, key=lambda r: r["learner"])
    return merged
