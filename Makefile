# Two commands for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Tests and notebooks never write into the user's home, and messages are in one known locale.
TEST_ENV := LC_ALL=C.UTF-8 LANG=C.UTF-8 MPLBACKEND=Agg HOME=$(CURDIR)/.cache/home JUPYTER_CONFIG_DIR=$(CURDIR)/.cache/jupyter \
            IPYTHONDIR=$(CURDIR)/.cache/ipython MPLCONFIGDIR=$(CURDIR)/.cache/mpl \
            HYPOTHESIS_STORAGE_DIRECTORY=$(CURDIR)/.cache/hypothesis

# Versions CI installs: constraints.txt, written by `make lock` from a fresh venv.
LOCK_VENV := .cache/lock-venv

.PHONY: demo test lint bench bench-quick app lab clean venv example-data lock teaching

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]" -c constraints.txt
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/implementere-kit demo --out reports

test: $(STAMP)
	mkdir -p .cache/home
	$(TEST_ENV) $(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python -m benchmarks --scale full

bench-quick: $(STAMP)
	$(BIN)/python -m benchmarks --scale quick

# The app and JupyterLab share a workspace: your data folder unless WORKSPACE=DIR is given.
WORKSPACE ?=

app: $(STAMP)
	$(BIN)/implementere-kit app $(if $(WORKSPACE),--workspace "$(WORKSPACE)")

lab: $(STAMP)
	$(if $(WORKSPACE),IMPLEMENTERE_WORKSPACE="$(abspath $(WORKSPACE))") \
	$(BIN)/jupyter lab --ServerApp.root_dir=notebooks

# Re-pin every dependency (after adding one to pyproject.toml): install the toolkit with its
# [dev] extra into a fresh venv, unconstrained, and write what pip chose.
lock:
	rm -rf $(LOCK_VENV)
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LOCK_VENV)/bin/python -m pip install --quiet ".[dev]"
	{ echo "# Pinned versions of every dependency, for CI and make venv (pip install -c)."; \
	  echo "# Written by 'make lock' from a fresh venv with implementere-kit[dev]; do not edit."; \
	  $(LOCK_VENV)/bin/python -m pip freeze --exclude implementere-kit; } > constraints.txt.new
	mv constraints.txt.new constraints.txt
	rm -rf $(LOCK_VENV)

clean:
	rm -rf reports .cache .pytest_cache build *.egg-info

example-data: $(STAMP)
	rm -rf data/example
	$(BIN)/python -c "from implementere_kit.examples import make_network; make_network('data/example', seed=2024, scale=1.0)"

# The teaching notebooks in nb, da and en, made from notebooks/teaching/source/.
teaching: $(STAMP)
	$(BIN)/python -m implementere_kit.teaching.build
