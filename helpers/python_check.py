"""Before `make env`: is this Python one the pins support, with venv and pip? One line saying what to install.

Run as a plain script (`python3 helpers/python_check.py`), before anything is installed, so it imports only
the standard library and keeps to syntax that old Pythons can parse.
"""
import re
import sys
from pathlib import Path
from typing import List, Optional, Tuple

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def supported_range(pyproject: Path = PYPROJECT) -> Tuple[Tuple[int, int], Tuple[int, int]]:
    """(lowest, first unsupported) minor versions from pyproject.toml's requires-python '>=3.A,<3.B'."""
    text = pyproject.read_text(encoding="utf-8")
    found = re.search(r'requires-python\s*=\s*">=(\d+)\.(\d+)\s*,\s*<(\d+)\.(\d+)"', text)
    if found is None:
        raise ValueError("pyproject.toml: requires-python is not of the form '>=3.A,<3.B'")
    low_major, low_minor, high_major, high_minor = (int(part) for part in found.groups())
    return (low_major, low_minor), (high_major, high_minor)


def problem(version: Tuple[int, int], has_venv: bool, has_ensurepip: bool,
            pyproject: Path = PYPROJECT) -> Optional[str]:
    """The one line to show when this Python cannot build the course's environment, else None."""
    low, high = supported_range(pyproject)
    name = "Python {}.{}".format(*version)
    if not low <= version < high:
        return ("{} is not supported: the course needs Python {}.{} to {}.{} (install one, then run "
                "`make env PYTHON=python3.{}`).").format(name, low[0], low[1], high[0], high[1] - 1, high[1] - 1)
    if not (has_venv and has_ensurepip):
        return ("{} lacks its venv module or pip bootstrap (ensurepip): on Debian/Ubuntu install it with "
                "`sudo apt install python{}.{}-venv`, then run `make env` again.").format(name, *version)
    return None


def _importable(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def main(argv: Optional[List[str]] = None) -> int:
    """Exit 0 when this Python can build the environment; else print one line and exit 1."""
    line = problem(sys.version_info[:2], _importable("venv"), _importable("ensurepip"))
    if line:
        print("make env: " + line, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
