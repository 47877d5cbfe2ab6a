"""Build the learner's pack: a zip with the lessons, the exercises and the helpers, and no solutions."""
from __future__ import annotations

import argparse
import posixpath
import re
import sys
import zipfile
from pathlib import Path

import nbformat

from helpers.links import relative_targets

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


# "(answers in [solutions/x.ipynb](../solutions/x.ipynb))" or "(answers in `solutions/`)": the pack has none
_ANSWERS_ASIDE = re.compile(r"\s*\(answers in [^()]*(?:\([^()]*\)[^()]*)*\)", re.I)
_LINK = re.compile(r"(?<!!)\[(?P<text>[^\]]*)\]\((?P<target>[^)\s]+)\)")


def pack_markdown(text: str, rel: Path, members: set[str], root: Path = ROOT) -> str:
    """Markdown as the pack shows it: no pointer to answers, and a link to a file the pack leaves out
    (solutions/, instructors.md) becomes its plain text. Links dead in the repo too are left for tests."""
    text = _ANSWERS_ASIDE.sub("", text)

    def unlink(match: re.Match[str]) -> str:
        target = match["target"]
        if target not in relative_targets(match[0]):
            return match[0]  # a web address or an anchor
        file = posixpath.normpath(posixpath.join(rel.parent.as_posix(), target.split("#", 1)[0]))
        left_out = file not in members and (root / file).is_file()
        return match["text"] if left_out else match[0]

    return _LINK.sub(unlink, text)


def pack_bytes(rel: Path, members: set[str], root: Path = ROOT) -> bytes:
    """A member's content in the pack: notebooks' Markdown cells and .md files pass through pack_markdown."""
    raw = (root / rel).read_bytes()
    if rel.suffix == ".md":
        return pack_markdown(raw.decode("utf-8"), rel, members, root).encode("utf-8")
    if rel.suffix != ".ipynb":
        return raw
    notebook = nbformat.reads(raw.decode("utf-8"), as_version=4)
    changed = False
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            new = pack_markdown(cell.source, rel, members, root)
            changed, cell.source = changed or new != cell.source, new
    return nbformat.writes(notebook).encode("utf-8") + b"\n" if changed else raw


def build_pack(out: Path, root: Path = ROOT) -> Path:
    """Write the zip (entries under a top folder, fixed timestamps so the zip is reproducible)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".zip.tmp")
    members = pack_members(root)
    names = {rel.as_posix() for rel in members}
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
        for rel in members:
            info = zipfile.ZipInfo(f"{PACK_NAME}/{rel.as_posix()}", date_time=(2026, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, pack_bytes(rel, names, root))
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
