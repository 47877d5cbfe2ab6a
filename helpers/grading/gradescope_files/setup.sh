#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (Ubuntu base image).
# The course needs Python 3.11 (pyproject.toml); Ubuntu 22.04 has 3.10, so 3.11 comes from deadsnakes.
set -euo pipefail
cd /autograder/source
if ! command -v python3.11 >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq software-properties-common
  add-apt-repository -y ppa:deadsnakes/ppa
  apt-get update -qq
fi
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3.11 python3.11-venv
python3.11 -m venv /autograder/venv
/autograder/venv/bin/pip install --disable-pip-version-check -q -r requirements.txt -e .
