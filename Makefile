# The course's commands. `make lab` to learn, `make test` to prove every notebook still runs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
STAMP  := $(VENV)/.installed-stamp
JOBS   ?= 2
NBVAL  := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout 300

.PHONY: env lab test exercises outputs bench grade progress student-pack clean

# One environment in the repo, everything pinned in requirements.txt; remade when that changes.
$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q -r requirements.txt -e .
	touch $(STAMP)

env: $(STAMP)

lab: env  ## create/reuse the environment and open the first lesson in JupyterLab
	$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) notebooks/00_welcome.ipynb

# The folders that exist: a learner's pack has no tests/ of ours and no solutions/.
SUITE  := $(wildcard tests notebooks solutions exercises)

test: env  ## unit tests + every notebook under nbval (stored outputs compared), in parallel
	$(PY) -m pytest -n $(JOBS) --dist loadscope $(NBVAL) $(SUITE)

exercises: env  ## rebuild exercises/ from solutions/
	$(PY) -m helpers.exercise_build

outputs: env  ## re-execute lessons and solutions so their stored outputs are fresh (authors)
	$(PY) -m helpers.notebook_run notebooks/*.ipynb solutions/*.ipynb

bench: env  ## time every notebook and the whole suite
	$(PY) scripts/bench_notebooks.py

student-pack: env  ## dist/autograd-sharp-edges-student.zip: lessons, exercises, helpers; no solutions
	$(PY) -m helpers.student_pack

clean:
	rm -rf $(VENV) build *.egg-info
