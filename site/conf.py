"""Sphinx configuration of the course website: `make site` builds it from the notebooks' stored outputs.

The source folder is the repository itself (`sphinx-build -c site . build/site`): README.md is the home
page and the lessons are found by glob, so a new lesson appears without editing this file. Nothing is
executed, and every script a page needs is served from the site (myst-nb's widget scripts would come
from two CDNs by default).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # for site_links, next to this file
from site_links import setup_links  # noqa: E402

# Publish the answers? Default: no; links to solutions/ then point to the repository (or become plain text).
PUBLISH_SOLUTIONS = os.environ.get("SITE_SOLUTIONS", "0") == "1"
REPOSITORY_URL = os.environ.get("SITE_REPOSITORY_URL", "").rstrip("/")  # e.g. https://github.com/OWNER/REPO
REPOSITORY_BRANCH = os.environ.get("SITE_REPOSITORY_BRANCH", "main")

project = "Autograd's sharp edges"
author = "the course's authors"
root_doc = "README"
extensions = ["myst_nb"]
include_patterns = ["README.md", "instructors.md", "notebooks/*.ipynb", "exercises/*.ipynb"]
if PUBLISH_SOLUTIONS:
    include_patterns.append("solutions/*.ipynb")
exclude_patterns = ["build", ".venv", "**/.ipynb_checkpoints"]

nb_execution_mode = "off"  # the stored outputs are the truth (nbval keeps them fresh)
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3

# widgets: require.js, our module map and html-manager, all from _static (see _static/widgets/README.md)
nb_ipywidgets_js = {
    "widgets/requirejs/require.js": {},
    "widgets/require-config.js": {},
    "widgets/html-manager/embed-amd.js": {"data-jupyter-widgets-cdn": "_static/widgets/"},
}

# MathJax 3 from _static too (Sphinx's default loads MathJax 4 from a CDN); it finds its fonts beside itself
mathjax_path = "mathjax/tex-mml-chtml.js"

html_theme = "sphinx_book_theme"
html_title = project
html_static_path = ["_static"]
html_extra_path = ["extra"]  # index.html: the site's front door forwards to README.html
html_theme_options = {"show_toc_level": 2, "use_download_button": True}
if REPOSITORY_URL:
    html_theme_options.update(repository_url=REPOSITORY_URL, repository_branch=REPOSITORY_BRANCH,
                              use_repository_button=True)
html_last_updated_fmt = None
html_show_sourcelink = False


def setup(app: object) -> None:
    """The hidden tables of contents, and links to files outside the site."""
    setup_links(app, publish_solutions=PUBLISH_SOLUTIONS, repository=REPOSITORY_URL, branch=REPOSITORY_BRANCH)
