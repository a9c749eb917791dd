# Two commands do everything on a fresh machine with Python 3.11 (see README):
#   make lab    create .venv, install, open JupyterLab on lesson 1
#   make test   create .venv, install, run every test (unit, property, notebooks, student versions)
# Also: make student (student versions), make notebooks (re-run the lessons and store outputs).
# make lab LAB_ARGS="--no-browser --port 8890" passes options to JupyterLab.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings
FIRST_LESSON := notebooks/01_softmax_and_temperature.ipynb
LESSONS := $(sort $(wildcard notebooks/[0-9]*.ipynb))

.PHONY: install lab test student notebooks clean

install: $(STAMP)

$(STAMP): requirements.txt pyproject.toml binder/overrides.json
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@# JupyterLab 4.6 sends widget messages on a kernel subshell, which races figure drawing
	@# (blank figures: jupyterlab#19719, ipykernel#1564). Turn that off for this environment.
	mkdir -p $(LAB_SETTINGS)
	cp binder/overrides.json $(LAB_SETTINGS)/overrides.json
	@# nbgrader is installed to make student versions; keep its teacher menus out of the students' lab.
	$(BIN)/jupyter labextension disable --level=sys_prefix @jupyter/nbgrader >/dev/null 2>&1
	for ext in formgrader validate_assignment assignment_list course_list; do \
		$(BIN)/jupyter server extension disable --sys-prefix nbgrader.server_extensions.$$ext >/dev/null 2>&1; \
	done
	touch $(STAMP)

# (--allow-root only where make runs as root, e.g. in a container)
lab: $(STAMP)
	$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS) $(FIRST_LESSON)

test: $(STAMP)
	$(BIN)/python -m pytest

student: $(STAMP)
	$(BIN)/python -m helpers.student_versions

# Re-execute every lesson in a fresh kernel and store its outputs (run after editing a lesson).
notebooks: $(STAMP)
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
		--ExecutePreprocessor.timeout=600 --ExecutePreprocessor.kernel_name=python3 $(LESSONS)

clean:
	rm -rf $(VENV) notebooks/student
