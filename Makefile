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

.PHONY: env lab test exercises outputs bench bench-grader grade progress student-pack gradescope clean site site-env bench-explorer-browser

# One environment in the repo, everything pinned in requirements.txt; remade when that changes.
# A Python outside requires-python, or one without venv/ensurepip, stops here with one line saying what
# to install (helpers/python_check.py runs before anything is installed).
$(STAMP): requirements.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "make env: no $(PYTHON) on PATH: install Python 3 (python.org or your package manager)" >&2; exit 1; }
	@$(PYTHON) helpers/python_check.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q -r requirements.txt -e .
	$(PY) -m helpers.lab --defaults-only
	touch $(STAMP)

env: $(STAMP)

# The website's tools (Sphinx, myst-nb, sphinx-book-theme: the `site` extra) go into .venv only on request.
SITE_STAMP := $(VENV)/.site-stamp
$(SITE_STAMP): $(STAMP)
	$(BIN)/pip install --disable-pip-version-check -q -e ".[site]"
	touch $(SITE_STAMP)

site-env: $(SITE_STAMP)

site: site-env  ## the course website in build/site/html, from the stored outputs (SITE_SOLUTIONS=1 publishes solutions/)
	$(PY) site/build.py build/site

# The command line lives in helpers/lab.py (the browser journey test starts JupyterLab with it too):
# it serves the repository's root, so exercises/ and solutions/ are reachable, and opens lesson 00.
lab: env  ## create/reuse the environment and open the first lesson in JupyterLab
	$(PY) -m helpers.lab

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

grade: env  ## grade a class: make grade SUBMISSIONS=path/to/class [GRADE_OPTS="--due ..."] (writes gradebook/)
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=path/to/class"; exit 2; }
	$(PY) -m helpers.grade $(SUBMISSIONS) --out gradebook/gradebook.csv --jobs $(JOBS) \
	  $(if $(wildcard grading.toml),--points grading.toml) $(GRADE_OPTS)

progress: env  ## run your exercises/ the way the grader does and list what is done
	$(PY) -m helpers.grade --progress exercises

bench-explorer-browser: env  ## input -> redraw of the explorers in Chromium (JupyterLab, kernel shut down)
	$(PY) scripts/bench_explorer_browser.py

bench-grader: env  ## time the grader (whole command) on a generated class, --jobs 1 and 2, beside nbgrader if installed
	$(PY) scripts/bench_grader.py $(if $(NBGRADER),--nbgrader $(NBGRADER))

student-pack: env  ## dist/autograd-sharp-edges-student.zip: lessons, exercises, helpers; no solutions
	$(PY) -m helpers.student_pack

gradescope: env  ## dist/autograd-sharp-edges-gradescope.zip for Gradescope [NOTEBOOKS="05_indices_and_labels ..."]
	$(PY) -m helpers.grading.gradescope build $(NOTEBOOKS)

clean:
	rm -rf $(VENV) build *.egg-info
