"""Relative links in the course's Markdown (notebooks' Markdown cells and .md files), and which are dead."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import nbformat

# [text](target) or ![alt](target "title"); and <a href="target"> / <img src="target"> in inline HTML
_MARKDOWN = re.compile(r'!?\[(?P<text>[^\]]*)\]\((?P<target>[^)\s]+)(?:\s+"[^"]*")?\)')
_HTML = re.compile(r'<(?:a|img)\s[^>]*?(?:href|src)="(?P<target>[^"]+)"', re.I)
_EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|#|/)", re.I)  # http:, mailto:, data:, #anchor, /absolute


@dataclass(frozen=True)
class Link:
    """One relative link: the file it sits in, its target as written, and the file that target names."""

    source: Path
    target: str
    resolved: Path


def relative_targets(markdown: str) -> list[str]:
    """The relative targets linked from a Markdown text, in order (web addresses and anchors left out)."""
    targets = [m["target"] for m in _MARKDOWN.finditer(markdown)] + [m["target"] for m in _HTML.finditer(markdown)]
    return [t for t in targets if not _EXTERNAL.match(t)]


def markdown_of(path: Path) -> str:
    """A file's Markdown: a notebook's Markdown cells joined, or a .md file's text."""
    if path.suffix == ".ipynb":
        cells = nbformat.read(path, as_version=4).cells
        return "\n\n".join(cell.source for cell in cells if cell.cell_type == "markdown")
    return path.read_text(encoding="utf-8")


def links_in(path: Path) -> list[Link]:
    """Every relative link in one notebook or Markdown file, with the file it points to."""
    found = []
    for target in relative_targets(markdown_of(path)):
        file_part = unquote(target.split("#", 1)[0].split("?", 1)[0])
        found.append(Link(path, target, (path.parent / file_part).resolve()))
    return found


def course_documents(root: Path) -> list[Path]:
    """The files whose links a learner follows: every notebook in the course's folders, and README.md."""
    notebooks = [p for folder in ("notebooks", "exercises", "solutions") for p in sorted((root / folder).glob("*.ipynb"))]
    return notebooks + [p for p in [root / "README.md"] if p.is_file()]


def dead_links(root: Path) -> list[str]:
    """'file: target' for each relative link under `root` that names no file inside `root`."""
    root = root.resolve()
    dead = []
    for path in course_documents(root):
        for link in links_in(path):
            if not link.resolved.is_file() or not link.resolved.is_relative_to(root):
                dead.append(f"{path.relative_to(root)}: {link.target}")
    return dead
