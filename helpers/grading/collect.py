"""Find what to grade: the assignments (practice notebooks), the learners and their notebook files."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

# Lessons are "03", and lessons added between two numbers "03a", "03b" (ids "03a.1"): they sort in reading order.
_LESSON = re.compile(r"^(\d\d[a-z]?)_")
_CHECK_ID = re.compile(r"""check\(\s*['"](\d\d[a-z]?)\.\d+['"]""")


@dataclass(frozen=True)
class Assignment:
    """One practice notebook: its file name, lesson number and exercises as (id, answer names)."""

    name: str
    lesson: str
    exercises: tuple[tuple[str, tuple[str, ...]], ...]


class NotANotebook(Exception):
    """The file cannot be read as a Jupyter notebook."""


def exercise_key(exercise_id: str) -> tuple[str, int]:
    """Sort key that puts 01.2 before 01.10, and 03.4 before 03a.1 before 04.1."""
    lesson, _, number = exercise_id.partition(".")
    return (lesson, int(number) if number.isdigit() else 0)


def load_assignments(folder: Path, registry: dict) -> list[Assignment]:
    """Every practice notebook in `folder` whose lesson has registered exercises (ids "LL.N")."""
    found = []
    for path in sorted(folder.glob("*.ipynb")):
        match = _LESSON.match(path.name)
        if not match:
            continue
        lesson = match.group(1)
        ids = sorted((i for i in registry if i.split(".")[0] == lesson), key=exercise_key)
        if ids:
            found.append(Assignment(path.name, lesson, tuple((i, tuple(registry[i].answer_names)) for i in ids)))
    return found


def find_learners(submissions: Path) -> dict[str, Path]:
    """Learner name -> folder; accepts SUBMISSIONS/<learner>/ and nbgrader's submitted/<learner>/<assignment>/."""
    root = submissions / "submitted" if (submissions / "submitted").is_dir() else submissions
    return {d.name: d for d in sorted(root.iterdir(), key=lambda p: p.name)
            if (d.is_dir() or d.is_symlink()) and not d.name.startswith(".")}  # a linked folder gets a row, unread


def notebook_files(folder: Path) -> list[Path]:
    """Every .ipynb under a learner's folder (nbgrader nests one folder per assignment), sorted.

    Symbolic links are never followed: a linked notebook or folder could point at solutions/."""
    if folder.is_symlink():
        return []
    files = []
    for base, dirs, names in os.walk(folder):  # os.walk does not descend into linked folders
        dirs[:] = [d for d in dirs if not d.startswith(".") and not os.path.islink(os.path.join(base, d))]
        files += [Path(base, n) for n in names if n.endswith(".ipynb") and not n.startswith(".")
                  and not os.path.islink(os.path.join(base, n)) and os.path.isfile(os.path.join(base, n))]
    return sorted(files, key=lambda p: p.relative_to(folder).as_posix())


def symlinks(folder: Path) -> list[str]:
    """The symbolic links in a learner's folder (the folder itself included), for the learner's notes."""
    if folder.is_symlink():
        return ["."]
    found = []
    for base, dirs, names in os.walk(folder):
        for name in dirs + names:
            path = Path(base, name)
            if path.is_symlink():
                found.append(path.relative_to(folder).as_posix())
    return sorted(found)


def match_files(files: list[Path], assignments: list[Assignment], folder: Path) -> tuple[dict[str, Path], list[str]]:
    """Pick each assignment's file (same name, else a unique file with its lesson number); notes say what was odd."""
    chosen: dict[str, Path] = {}
    notes: list[str] = []
    for assignment in assignments:
        same = [f for f in files if f.name == assignment.name]
        similar = [f for f in files if f.name.startswith(assignment.lesson + "_") and f not in same]
        pick = same or (similar if len(similar) == 1 else [])
        if pick:
            chosen[assignment.name] = pick[0]
            if not same:
                notes.append(f"graded {pick[0].relative_to(folder).as_posix()} as {assignment.name}")
            elif len(same) > 1:
                notes.append(f"{len(same)} files named {assignment.name}: graded {pick[0].relative_to(folder).as_posix()}")
    used = set(chosen.values())
    notes += [f"ignored {f.relative_to(folder).as_posix()} (not a practice notebook of this course)"
              for f in files if f not in used]
    return chosen, notes


def read_code_cells(path: Path) -> list[str]:
    """The sources of a notebook's code cells; outputs and metadata are dropped. Raises NotANotebook."""
    if path.is_symlink():
        raise NotANotebook("the file is a symbolic link, which the grader never follows")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise NotANotebook(f"the file cannot be read as text ({type(exc).__name__})") from None
    if not text.strip():
        raise NotANotebook("the file is empty")
    try:
        nb = nbformat.reads(text, as_version=4)
        cells = [c for c in nb.cells if c.get("cell_type") == "code"]
        sources = [c.source if isinstance(c.source, str) else "".join(c.source) for c in cells]
    except Exception as exc:  # noqa: BLE001  (JSON errors, schema errors, anything odd)
        raise NotANotebook(f"the file is not a Jupyter notebook ({type(exc).__name__})") from None
    return sources


def lessons_checked(sources: list[str]) -> set[str]:
    """Lesson numbers named by the notebook's check cells (to spot a notebook of the wrong lesson)."""
    return {m.group(1) for s in sources for m in _CHECK_ID.finditer(s)}


REVIEW = {
    "redefines check": r"\bdef\s+(check|run_check)\b|^\s*(check|run_check)\s*=",
    "reaches into helpers internals": r"\bhelpers\.(checking|feedback|guards|checks)\b|from\s+helpers\s+import\s+(?!check\b)",
    "changes builtins or imports": r"__builtins__|\bbuiltins\b|sys\.modules|meta_path|importlib|__import__",
    "IPython hooks": r"events\.register|ast_transformers|input_transformers|set_custom_exc|register_magic",
    "process tricks": r"settrace|setprofile|_getframe|gc\.get_objects|ctypes|os\._exit|os\.kill|signal\.|threading|_thread",
    "writes files": r"open\([^)]*['\"][wa]b?\+?['\"]|write_text|write_bytes|shutil\.|os\.remove|unlink\(",
    "reaches for course files": r"\.git\b|solutions/|\btests/|\.\./",
    "starts processes": r"subprocess|os\.fork|os\.setsid|os\.system|multiprocessing|os\.spawn|os\.exec",
}


def review_flags(sources: list[str]) -> list[str]:
    """Things in a learner's code an instructor may want to look at (they do not change the score)."""
    text = "\n".join(sources)
    return [flag for flag, pattern in REVIEW.items() if re.search(pattern, text, re.M)]
