"""Build the course website: `python site/build.py [OUT]` (what `make site` runs; tests call `build`)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def build(out: Path, solutions: bool = False, repository: str = "") -> subprocess.CompletedProcess[str]:
    """sphinx-build -W from the stored outputs into out/html (doctrees in out/doctrees); nothing is executed."""
    env = dict(os.environ, SITE_SOLUTIONS="1" if solutions else "0")
    if repository:
        env["SITE_REPOSITORY_URL"] = repository
    args = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-E", "-b", "html", "-c", "site",
            "-d", str(out / "doctrees"), ".", str(out / "html")]
    return subprocess.run(args, cwd=ROOT, env=env, text=True, capture_output=True)


def main(argv: list[str]) -> int:
    """Command line: build into OUT (default build/site), print where, exit non-zero on any warning."""
    out = Path(argv[0]) if argv else ROOT / "build" / "site"
    done = build(out, solutions=os.environ.get("SITE_SOLUTIONS") == "1",
                 repository=os.environ.get("SITE_REPOSITORY_URL", ""))
    sys.stdout.write(done.stdout)
    sys.stderr.write(done.stderr)
    if done.returncode == 0:
        print(f"built {out / 'html' / 'index.html'}")
    return done.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
