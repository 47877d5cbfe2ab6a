"""Build the learner's pack: a zip with the lessons, the exercises and the helpers, and no solutions."""
from __future__ import annotations

import argparse
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FILES = ("README.md", "Makefile", "requirements.txt", "environment.yml", "pyproject.toml", "tests/nbval_sanitize.cfg")
FOLDERS = ("notebooks", "exercises", "helpers")
SKIP_PARTS = {"__pycache__", ".ipynb_checkpoints"}
PACK_NAME = "autograd-sharp-edges"


def pack_members(root: Path = ROOT) -> list[Path]:
    """Every file that goes into the pack, relative to the repo root, in a stable order."""
    members = [Path(name) for name in FILES]
    for folder in FOLDERS:
        for path in sorted((root / folder).rglob("*")):
            rel = path.relative_to(root)
            if path.is_file() and not SKIP_PARTS & set(rel.parts) and path.suffix != ".pyc":
                members.append(rel)
    return members


def build_pack(out: Path, root: Path = ROOT) -> Path:
    """Write the zip (entries under a top folder, fixed timestamps so the zip is reproducible)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".zip.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
        for rel in pack_members(root):
            info = zipfile.ZipInfo(f"{PACK_NAME}/{rel.as_posix()}", date_time=(2026, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, (root / rel).read_bytes())
    tmp.replace(out)
    return out


def main(argv: list[str] | None = None) -> int:
    """Command line: build the pack and say where it is."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "dist" / f"{PACK_NAME}-student.zip")
    args = parser.parse_args(argv)
    out = build_pack(args.out)
    print(f"wrote {out} ({len(pack_members())} files, no solutions)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
