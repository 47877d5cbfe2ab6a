"""Points and weights: the instructor's TOML file, and what a learner's verdicts are worth under it.

Without a file every exercise is worth 1 and every notebook has weight 1, so the total is the number of
exercises passed (the gradebook then looks as it always did). A notebook's subtotal is
weight x (points of its passed exercises) x (1 - late penalty); the total is the sum of the subtotals.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path


class SchemeError(ValueError):
    """The grading file cannot be used as it is (the message says where and why)."""


@dataclass(frozen=True)
class Scheme:
    """Points per exercise and weight per notebook, in the assignments' order."""

    notebooks: tuple[tuple[str, float, tuple[tuple[str, float], ...]], ...]  # (notebook, weight, ((id, points)..))
    custom: bool = False  # a grading file was given: the gradebook shows points, subtotals, points possible
    lms: dict = field(default_factory=dict)  # the file's [lms] table, for the LMS exports
    late: dict = field(default_factory=dict)  # the file's [late] table: due, policy

    def to_json(self) -> dict:
        """The scheme as plain data (stored in the report JSON so `merge` and `export` need no file)."""
        return {"custom": self.custom, "notebooks": [{"notebook": n, "weight": w, "points": dict(ex)}
                                                     for n, w, ex in self.notebooks]}

    @classmethod
    def from_json(cls, data: dict, lms: dict | None = None) -> "Scheme":
        """The inverse of to_json."""
        notebooks = tuple((nb["notebook"], float(nb["weight"]), tuple((i, float(p)) for i, p in nb["points"].items()))
                          for nb in data["notebooks"])
        return cls(notebooks, bool(data["custom"]), lms or {})


def default_scheme(layout: list[tuple[str, list[str]]]) -> Scheme:
    """1 point per exercise, weight 1 per notebook: today's gradebook."""
    return Scheme(tuple((name, 1.0, tuple((i, 1.0) for i in ids)) for name, ids in layout))


def load_scheme(path: Path | None, layout: list[tuple[str, list[str]]]) -> Scheme:
    """Read [points] and [weights] from the TOML file; every key must name an exercise or a notebook."""
    if path is None:
        return default_scheme(layout)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SchemeError(f"cannot read the grading file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SchemeError(f"{path} is not valid TOML: {exc}") from None
    unknown = sorted(set(data) - {"points", "weights", "lms", "late"})
    if unknown:
        raise SchemeError(f"{path}: unknown table(s) {', '.join(unknown)}; expected [points], [weights], [late], [lms]")
    points = _numbers(data.get("points", {}), "points", path)
    weights = _numbers(data.get("weights", {}), "weights", path)
    ids = {i for _, exercise_ids in layout for i in exercise_ids}
    stems = {name.removesuffix(".ipynb"): name for name, _ in layout}
    if bad := sorted(set(points) - ids):
        raise SchemeError(f"{path}: [points] names exercises this course does not have: {', '.join(bad)}")
    if bad := sorted(k for k in weights if k.removesuffix(".ipynb") not in stems):
        raise SchemeError(f"{path}: [weights] names notebooks this course does not have: {', '.join(bad)} "
                          f"(expected one of {', '.join(sorted(stems))})")
    weight_of = {stems[k.removesuffix(".ipynb")]: v for k, v in weights.items()}
    notebooks = tuple((name, weight_of.get(name, 1.0), tuple((i, points.get(i, 1.0)) for i in exercise_ids))
                      for name, exercise_ids in layout)
    lms = data.get("lms", {})
    if not isinstance(lms, dict):
        raise SchemeError(f"{path}: [lms] must be a table")
    late = data.get("late", {})
    if not isinstance(late, dict) or set(late) - {"due", "policy"}:
        raise SchemeError(f"{path}: [late] may hold only due = \"...\" and policy = \"...\"")
    return Scheme(notebooks, True, lms, late)


def _numbers(table: object, name: str, path: Path) -> dict[str, float]:
    if not isinstance(table, dict):
        raise SchemeError(f"{path}: [{name}] must be a table of \"key\" = number")
    out = {}
    for key, value in table.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise SchemeError(f"{path}: [{name}] \"{key}\" = {value!r}; expected a number >= 0")
        out[key] = float(value)
    return out


def apply(record: dict, scheme: Scheme) -> dict:
    """Add points to a learner's record: per exercise, per notebook (subtotal) and in all (`points`, `possible`)."""
    table = {name: (weight, dict(ex)) for name, weight, ex in scheme.notebooks}
    points = possible = 0.0
    for nb in record["notebooks"]:
        weight, worth = table[nb["notebook"]]
        earned = 0.0
        for e in nb["exercises"]:
            e["max"] = worth[e["exercise"]]
            e["points"] = e["max"] if e["status"] == "passed" else 0.0
            earned += e["points"]
        penalty = (nb.get("late") or {}).get("penalty", 0.0)
        nb["weight"], nb["possible"] = weight, weight * sum(worth.values())
        nb["subtotal"] = weight * earned * (1.0 - penalty)
        points, possible = points + nb["subtotal"], possible + nb["possible"]
    record["points"], record["possible"] = points, possible
    return record


def fmt(value: float | None) -> str:
    """A number for a CSV cell: at most two decimals, no trailing zeros ("2", "1.5", "0.33")."""
    if value is None:
        return ""
    text = f"{round(value, 2) + 0.0:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text
