"""The site's navigation and its links to files that are not pages (used by conf.py only).

README.md is the home page but must stay plain Markdown for GitHub, so its tables of contents are added
while Sphinx reads it. A link to a file the site does not publish (solutions/ by default, code, data)
points to the file in the repository when its address is known, and otherwise becomes plain text: never a
dead link, and never a warning that would fail `-W`.
"""
from __future__ import annotations

import posixpath
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.transforms.post_transforms import SphinxPostTransform

ROOT = Path(__file__).resolve().parent.parent

SECTIONS = [("Lessons", "notebooks/*"), ("Practice", "exercises/*")]


def _toctrees(publish_solutions: bool) -> str:
    sections = SECTIONS + ([("Answers", "solutions/*")] if publish_solutions else []) + [("For instructors", "instructors")]
    return "".join(f"\n\n```{{toctree}}\n:hidden:\n:glob:\n:caption: {caption}\n\n{pattern}\n```\n"
                   for caption, pattern in sections)


class OutsideLinks(SphinxPostTransform):
    """Links to files the site does not publish: to the repository, or plain text (before MyST would warn)."""

    default_priority = 8  # MyST's own resolver runs at 9 and warns about every such link
    repository = ""
    branch = "main"

    def run(self, **kwargs: Any) -> None:
        for node in list(self.document.findall(addnodes.pending_xref)):
            if node.get("reftype") != "myst":
                continue
            target = node["reftarget"]
            if node.get("refdomain") == "doc":
                if target in self.env.all_docs:
                    continue
                path = target + self._suffix(target)
            else:
                path = posixpath.normpath(posixpath.join(posixpath.dirname(self.env.docname), target.split("#")[0]))
            if not path or path.startswith("..") or not (ROOT / path).exists():
                continue  # not a file of the repository: MyST warns, as it should
            text = node[0].deepcopy()
            if self.repository:
                node.replace_self(nodes.reference("", "", text, refuri=f"{self.repository}/blob/{self.branch}/{path}",
                                                  internal=False, classes=["repository-link"]))
            else:
                node.replace_self(text)

    @staticmethod
    def _suffix(docname: str) -> str:
        """The file suffix of a document the site does not include (e.g. solutions/01_x -> .ipynb)."""
        return next((s for s in (".ipynb", ".md") if (ROOT / f"{docname}{s}").exists()), "")


def setup_links(app: Any, publish_solutions: bool, repository: str, branch: str) -> None:
    """Register the tables of contents on the home page and the handling of links to unpublished files."""

    def add_toctrees(app: Any, docname: str, source: list[str]) -> None:
        if docname == app.config.root_doc:
            source[0] += _toctrees(publish_solutions)

    OutsideLinks.repository, OutsideLinks.branch = repository, branch
    app.connect("source-read", add_toctrees)
    app.add_post_transform(OutsideLinks)
