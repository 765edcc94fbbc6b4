# Quick start: `make demo` (set up + run the main job), `make test` (set up + run the tests).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SAMPLE := data/sample_logs.csv
ASSESSMENTS := data/sample_assessments.csv

.PHONY: demo test lint lab bench fuzz browsers clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.demo-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[report]'
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.demo-installed

demo: $(VENV)/.demo-installed
	$(BIN)/backanalytics validate $(SAMPLE)
	$(BIN)/backanalytics summary $(SAMPLE) --assessments $(ASSESSMENTS)
	$(BIN)/backanalytics report $(SAMPLE) --all --out reports --assessments $(ASSESSMENTS)
	@echo "open reports/caseload.html (or .pdf) for the caseload; reports/client_<id>.html for each client"

test: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n 2 -q

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .

lab: $(VENV)/.dev-installed
	$(BIN)/jupyter lab notebooks/

bench: $(VENV)/.dev-installed
	$(BIN)/python benchmarks/bench_pipeline.py

fuzz: $(VENV)/.dev-installed
	$(BIN)/python benchmarks/fuzz_validate.py

clean:
	rm -rf $(VENV) reports .pytest_cache
