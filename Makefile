# Every target does its own set-up on a fresh machine: it creates .venv and installs tutorloop.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO_STAMP := $(VENV)/.demo-installed

.PHONY: demo test test-ray lint typecheck bench bench-scale clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The demo needs tutorloop alone: no test or lint tools (make test adds them to the same .venv).
$(DEMO_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $(DEMO_STAMP)

demo: $(DEMO_STAMP)
	$(BIN)/tutorloop demo

test: $(STAMP) lint typecheck
	$(BIN)/pytest -q -m "not ray"

# The Ray engine's tests: installs the optional extra, runs on a local Ray cluster.
test-ray: $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,ray]'
	$(BIN)/pytest -q -m ray

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/grade_throughput.py
	$(BIN)/python bench/replay_throughput.py
	$(BIN)/python bench/serve_load.py
	$(BIN)/python bench/align_throughput.py
	$(BIN)/python bench/learn.py
	$(BIN)/python bench/startup.py
	$(BIN)/python bench/demo_cpu.py
	$(BIN)/python bench/python_sandbox.py
	$(BIN)/python bench/watch.py
	$(BIN)/python bench/import_throughput.py
	$(BIN)/python bench/review_queue.py

bench-scale: $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,ray]'
	$(BIN)/python bench/scale.py

clean:
	rm -rf $(VENV) .tutorloop demo-output .pytest_cache .mypy_cache .ruff_cache
