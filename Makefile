# Two commands set everything up on a fresh machine with Python 3.11+ and make:
#   make book   build the HTML book into _build/html (executing every notebook)
#   make test   lint, unit tests, doctests and strict nbval over every notebook
# Both create .venv from requirements.txt on first use.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# An unreachable extra index (PyTorch's CPU wheels) is skipped after one retry instead of five.
PIP_FLAGS ?= --retries 1

# Keep TensorFlow's stderr banner out of notebook outputs (kernels inherit this environment).
export TF_CPP_MIN_LOG_LEVEL ?= 2
export TF_ENABLE_ONEDNN_OPTS ?= 0

.PHONY: all book test lint pytest venv clean distclean

all: test book

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "lossnotes needs Python 3.11 or newer; found " + sys.version.split()[0] + " (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install $(PIP_FLAGS) --upgrade pip
	$(BIN)/python -m pip install $(PIP_FLAGS) -r requirements.txt
	touch $(STAMP)

book: $(STAMP)
	$(BIN)/jupyter-book build . -W -n --keep-going

lint: $(STAMP)
	$(BIN)/ruff check .

pytest: $(STAMP)
	$(BIN)/python -m pytest

test: lint pytest

clean:
	rm -rf _build

distclean: clean
	rm -rf $(VENV)
