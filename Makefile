# The two commands of the README: `make book` builds the site, `make test` runs every check.
# Both create or refresh the virtual environment in .venv first. `make rehearse-full` builds
# every chapter in the full profile on generated files (see code/dlvision/rehearsal.py).

VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
BOOK_FLAGS ?= --warningiserror --keep-going

.PHONY: book test lint unit site venv exercises clean rehearse-full rehearse-notebooks \
	rehearse-binder

venv: $(STAMP)

# Reinstall when the project's requirements change.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[book,dev]"
	touch $(STAMP)

# No widgets while the book builds: no one can move a slider, and building them can hang the
# build (see code/dlvision/widgets.py).
book: $(STAMP)
	DLVISION_STATIC_WIDGETS=1 $(VENV)/bin/jupyter-book build . $(BOOK_FLAGS)
	@echo "The site is in _build/html/index.html"

# The site's workflow too: actionlint (syntax, expressions, action versions) and zizmor
# (security), offline so that it needs no GitHub API.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/actionlint
	$(VENV)/bin/zizmor --offline --config .github/zizmor.yml .github/workflows
	$(VENV)/bin/dlvision assign --check

# Two workers (pytest-xdist), each taking whole modules: the notebooks graded in one, the rest
# in the other.
unit: $(STAMP)
	$(PY) -m pytest -m "not slow" -n 2 --dist loadfile --durations=15

# Checks on the built site: run after `make book`.
site: $(STAMP)
	$(PY) -m pytest -m slow

# The book before the unit tests: they then start from the stand-in networks and the digit
# judge that the book trained (deterministic and keyed, see tests/conftest.py) rather than
# train them again in each worker.
test: lint book
	$(MAKE) unit DLVISION_TEST_SEED_DATA="$$($(PY) -c 'import dlvision.profile as p; print(p.default_data_dir())')"
	$(MAKE) site

# The full profile's code paths on generated files (random weights, a few images), with small
# sizes, into _build/rehearsal/: proves that every chapter runs in full, not its numbers.
rehearse-full: $(STAMP)
	$(PY) -m dlvision.rehearsal

# The students' two paths (tools/): Colab, each solution run in a fresh environment holding
# only Colab's packages, the package installed by the exercises' own first cell; Binder,
# binder/'s environment served by Notebook 7 and driven in headless Chromium. Results, times,
# memory and screenshots in _build/rehearsal-notebooks/ and _build/rehearsal-binder/.
rehearse-notebooks: $(STAMP)
	$(PY) tools/rehearse_notebooks.py

rehearse-binder: $(STAMP)
	$(PY) tools/rehearse_binder.py

exercises: $(STAMP)
	$(VENV)/bin/dlvision assign

clean:
	rm -rf _build
