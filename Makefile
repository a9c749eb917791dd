# Two commands do everything on a fresh machine with Python 3.11 (see README):
#   make lab    create .venv, install, open JupyterLab on lesson 1
#   make test   create .venv, install (with the teacher's nbgrader), run every test (unit, property,
#               notebooks, the nbgrader course round trip, and the widgets in a real browser: Debian's
#               Chromium, installed with apt-get if missing)
# Also: make present (the lesson-4 dashboard full screen, no code: Voila), make slides (the one-session
# slides, offline), make screenshots (the README's pictures), make student (student versions), make
# notebooks (re-run and store outputs).
# make lab LAB_ARGS="--no-browser --port 8890" passes options to JupyterLab; VOILA_ARGS to Voila.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TEACHER_STAMP := $(VENV)/.installed-teacher
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings
FIRST_LESSON := notebooks/01_softmax_and_temperature.ipynb
LESSONS := $(sort $(wildcard notebooks/[0-9]*.ipynb notebooks/presentation/*.ipynb notebooks/class/*.ipynb))
PRESENTATION := notebooks/presentation/temperature_dashboard.ipynb
VOILA_OPTS := --theme=light --Voila.ip=127.0.0.1 --VoilaConfiguration.extension_denylist=@jupyter/nbgrader --VoilaConfiguration.extension_denylist=@jupyter-notebook/lab-extension --VoilaConfiguration.extension_denylist=@voila-dashboards/jupyterlab-preview

.PHONY: install lab test present slides screenshots student notebooks clean

install: $(STAMP)

# pip installs without compiling to bytecode (it would compile on one core); COMPILE then compiles
# the whole environment on every core (about half the time here). A file that does not compile
# (some packages ship Python 2 examples) only stays uncompiled, as pip would leave it.
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check --no-compile
COMPILE := -$(BIN)/python -m compileall -q -j 0 $(VENV)/lib >/dev/null

$(STAMP): requirements.txt pyproject.toml binder/overrides.json tools/install_torch.py
	$(PYTHON) -m venv $(VENV)
	@# PyTorch first: on Linux without an NVIDIA GPU the CPU build, not PyPI's CUDA build (several GB).
	$(BIN)/python tools/install_torch.py
	$(PIP) -r requirements.txt
	$(COMPILE)
	@# JupyterLab 4.6 sends widget messages on a kernel subshell, which races figure drawing
	@# (blank figures: jupyterlab#19719, ipykernel#1564). Turn that off for this environment.
	mkdir -p $(LAB_SETTINGS)
	cp binder/overrides.json $(LAB_SETTINGS)/overrides.json
	touch $(STAMP)

# A teacher's tools on top: the pinned nbgrader of pyproject's `teacher` extra, resolved together with
# requirements.txt. Its teacher menus stay out of JupyterLab, so `make lab` looks the same to students.
$(TEACHER_STAMP): $(STAMP)
	$(PIP) -r requirements.txt -e ".[teacher]"
	$(COMPILE)
	$(BIN)/jupyter labextension disable --level=sys_prefix @jupyter/nbgrader >/dev/null 2>&1
	$(BIN)/jupyter server extension disable --sys-prefix $(addprefix nbgrader.server_extensions.,formgrader validate_assignment assignment_list course_list) >/dev/null 2>&1
	touch $(TEACHER_STAMP)

# JupyterLab's file browser at the repository root (so that the lessons' links to the README work),
# lesson 1 open. (--allow-root only where make runs as root, e.g. in a container.)
LAB_COMMAND = $(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS) $(FIRST_LESSON)
lab: $(STAMP)
	$(LAB_COMMAND)

test: $(TEACHER_STAMP)
	tests/browser/install_chromium.sh
	$(BIN)/python tools/build_slides.py --assets-only
	$(BIN)/python -m pytest

# The lesson-4 dashboard for a projector: Voila shows the widgets and the text, not the code.
# (The browser tests run exactly this command: see tests/browser/test_presentation.py.)
present: $(STAMP)
	$(BIN)/python -m voila $(PRESENTATION) $(VOILA_OPTS) $(VOILA_ARGS)

# The one-session slides (notebooks/class/one_session.ipynb) as a reveal.js deck that works offline:
# build/slides/one_session.slides.html, its JavaScript beside it (fetched once, verified). SLIDES_ARGS
# passes options (--out DIR). tests/browser/test_slides.py runs exactly this command.
slides: $(STAMP)
	$(BIN)/python tools/build_slides.py $(SLIDES_ARGS)

# The README's two screenshots, taken by the browser tests of lessons 1 and 4, and the teacher's guide's
# three slides, taken by the slides' browser test.
screenshots: $(STAMP)
	tests/browser/install_chromium.sh
	$(BIN)/python -m pytest tests/browser/test_lessons.py tests/browser/test_slides.py -k "lesson1 or lesson4 or slides" -q
	cp tests/browser/screenshots/01_softmax_and_temperature/temperature_explorer/02_T_right.png notebooks/images/lesson1_temperature_explorer.png
	cp tests/browser/screenshots/04_char_lstm/dashboard/02_T_right.png notebooks/images/lesson4_dashboard.png
	cp tests/browser/screenshots/slides/03_formula.png notebooks/images/slides_formula.png
	cp tests/browser/screenshots/slides/07_novel_not_creative.png notebooks/images/slides_novel_not_creative.png
	cp tests/browser/screenshots/slides/10_tokens.png notebooks/images/slides_tokens.png

student: $(TEACHER_STAMP)
	$(BIN)/python -m helpers.student_versions

# Re-execute every lesson in a fresh kernel and store its outputs (run after editing a lesson).
notebooks: $(STAMP)
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
		--ExecutePreprocessor.timeout=600 --ExecutePreprocessor.kernel_name=python3 $(LESSONS)

clean:
	rm -rf $(VENV) notebooks/student
