# The whole set-up on a fresh machine is `make demo` (main job) and `make test` (all tests).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
# The real vLLM CPU engine lives in its own venv (it pins many packages), outside the checkout so
# that CI's fresh clones reuse it; the tiny test model is built next to it.
export RECLOOM_ENGINE_HOME ?= $(HOME)/.cache/recloom/engine
export OMP_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1
export TOKENIZERS_PARALLELISM ?= false
export HF_HUB_OFFLINE ?= 1
export TRANSFORMERS_OFFLINE ?= 1
PYTEST_ARGS ?=

.PHONY: venv demo test test-fast engine lint bench clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

venv: $(VENV)/.installed

demo: venv
	$(VENV)/bin/recloom demo

engine:
	bash tests/llm_engine/setup_engine.sh

# Everything: unit tests, fault injection, real vLLM engine, slow training tests.
test: venv engine
	$(PY) -m pytest -q -m "" $(PYTEST_ARGS)

# The quick developer loop (< 10 min on 2 cores): no real engine, no slow tests.
test-fast: venv
	$(PY) -m pytest -q -m "not engine and not slow" $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check recloom tests benchmarks

clean:
	rm -rf $(VENV) build runs .pytest_cache
