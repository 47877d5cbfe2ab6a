# The course's commands. `make lab` to learn, `make test` to prove every notebook still runs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
STAMP  := $(VENV)/.installed-stamp
CORES  := $(shell $(PYTHON) -c "import os; print(os.cpu_count() or 1)")
# Notebooks run on one worker per core plus one: a worker idles while its kernel starts and stops
# (measured on 2 idle cores: the notebooks take 35.7 s with 2 workers, 32.1 s with 3; make bench).
WORKERS ?= $(shell $(PYTHON) -c "import os; print((os.cpu_count() or 1) + 1)")
JOBS   ?= $(CORES)
NBVAL  := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout 300

.PHONY: env lab test exercises outputs bench bench-grader grade progress student-pack clean

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
	$(PY) -m pytest -n $(WORKERS) --dist loadscope $(NBVAL) $(SUITE)

exercises: env  ## rebuild exercises/ from solutions/
	$(PY) -m helpers.exercise_build

outputs: env  ## re-execute lessons and solutions so their stored outputs are fresh (authors)
	$(PY) -m helpers.notebook_run notebooks/*.ipynb solutions/*.ipynb

bench: env  ## time every notebook and the whole suite
	$(PY) scripts/bench_notebooks.py

grade: env  ## grade a class: make grade SUBMISSIONS=path/to/class (writes gradebook/)
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=path/to/class"; exit 2; }
	$(PY) -m helpers.grade $(SUBMISSIONS) --out gradebook/gradebook.csv --jobs $(JOBS)

progress: env  ## run your exercises/ the way the grader does and list what is done
	$(PY) -m helpers.grade --progress exercises

bench-grader: env  ## time the grader (whole command) on a generated class, --jobs 1 and 2, beside nbgrader if installed
	$(PY) scripts/bench_grader.py $(if $(NBGRADER),--nbgrader $(NBGRADER))

student-pack: env  ## dist/autograd-sharp-edges-student.zip: lessons, exercises, helpers; no solutions
	$(PY) -m helpers.student_pack

clean:
	rm -rf $(VENV) build *.egg-info
