"""`python -m helpers.grade merge|export`: work on graded JSON, no notebook is run again.

  merge  SHARD_JSON... --out gradebook/gradebook.csv   join `--shard K/N` runs into one run's outputs
  export JSON --lms canvas --roster roster.csv         write an LMS import file from a graded JSON
"""
from __future__ import annotations

import argparse
import json
import sys
import tomllib
from pathlib import Path

from helpers.grading import lms, lms_export, outputs, report, shards


def main(argv: list[str]) -> int:
    """Dispatch `merge` or `export`; bad input gives a message and exit code 2, never a traceback."""
    from helpers.grade import add_output_options  # one definition of the shared options

    p = argparse.ArgumentParser(prog=f"python -m helpers.grade {argv[0]}", description=__doc__.splitlines()[0])
    p.add_argument("json", nargs="+", type=Path, help="the shards' gradebook JSON files" if argv[0] == "merge"
                   else "a gradebook JSON")
    p.add_argument("--out", type=Path, help="gradebook CSV (merge), or where the LMS file goes beside "
                   "(export); default gradebook/gradebook.csv, for export the JSON's folder")
    p.add_argument("--feedback", type=Path, help="folder for <learner>.md (default: feedback/ next to --out)")
    add_output_options(p)
    args = p.parse_args(argv[1:])
    if args.out is None:
        args.out = args.json[0].with_suffix(".csv") if argv[0] == "export" else Path("gradebook/gradebook.csv")
    try:
        if argv[0] == "merge":
            data = shards.merge(args.json)
            outputs.write(outputs.render(data, args.out, args.feedback or args.out.parent / "feedback"))
            print(f"merged {len(args.json)} shards: {len(data['learners'])} learners; wrote {args.out}, "
                  f"{args.out.with_suffix('.json')}, {(args.feedback or args.out.parent / 'feedback')}/")
        else:
            if len(args.json) != 1:
                p.error("export reads one gradebook JSON")
            try:
                data = json.loads(args.json[0].read_text(encoding="utf-8"))
            except (OSError, ValueError) as bad:
                raise ValueError(f"cannot read the gradebook JSON {args.json[0]}: {bad}") from None
            if not args.lms:
                p.error("say which file to write: --lms canvas, --lms moodle or --lms long")
    except (OSError, ValueError) as bad:  # ShardError, JSON errors
        print(bad, file=sys.stderr)
        return 2
    if not isinstance(data, dict) or "learners" not in data or "scheme" not in data:
        print(f"{args.json[0]} is not a gradebook JSON written by this grader", file=sys.stderr)
        return 2
    try:
        config = _lms_config(args)
    except lms.LmsError as bad:
        print(bad, file=sys.stderr)
        return 2
    return write_lms(args, data, config)


def _lms_config(args: argparse.Namespace) -> dict:
    """The grading file's [lms] table (points and weights are in the JSON already)."""
    if args.points is None:
        return {}
    try:
        table = tomllib.loads(args.points.read_text(encoding="utf-8")).get("lms", {})
    except (OSError, tomllib.TOMLDecodeError) as bad:
        raise lms.LmsError(f"cannot read the grading file {args.points}: {bad}") from None
    if not isinstance(table, dict):
        raise lms.LmsError(f"{args.points}: [lms] must be a table")
    return table


def write_lms(args: argparse.Namespace, data: dict, config: dict) -> int:
    """Write each `--lms` file next to the gradebook and print who matched; 2 when one cannot be written."""
    status = 0
    for kind in args.lms:
        moodle_id = args.lms_id or config.get("moodle_id", "email")
        try:
            text, lines = lms_export.export(kind, data, args.roster, config, moodle_id)
        except lms.LmsError as bad:
            print(f"{kind}: {bad}", file=sys.stderr)
            status = 2
            continue
        path = args.out.parent / lms_export.FILE_NAMES[kind]
        report.atomic_write(path, text)
        print("\n".join(lines + [f"wrote {path}"]))
    return status
