# Two entry points: `make run` and `make test`. Everything else is a helper for them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SCENARIO ?= default

.PHONY: run test lint bench warm clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[all]"
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(BIN)/routegame solve --scenario $(SCENARIO)
	$(BIN)/routegame report --scenario $(SCENARIO) --out report --overwrite

test: $(VENV)/.installed-dev
	@command -v chromium >/dev/null 2>&1 || (apt-get update && apt-get install -y chromium) \
		|| echo "warning: chromium not installed; the browser tests skip (and fail under CI=true)"
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	@# compile the numba kernels once, in two processes, instead of in each test worker
	$(BIN)/python -m routegame._warm simulate hetero & pid=$$!; \
		$(BIN)/python -m routegame._warm two-model && wait $$pid
	$(BIN)/python -m pytest -n 2 -q

# compile (or load) the compiled kernels ahead of their first large call
warm: $(VENV)/.installed-run
	$(BIN)/python -m routegame._warm

bench: $(VENV)/.installed-dev
	for f in benchmarks/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info
