# Developer entry points. `make test` is what CI runs (.ci/run).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.ebr-installed
# Packages type-checked by mypy; those not written yet are skipped.
PACKAGES := ebr workflows activities signatures api bench

.PHONY: venv run test test-fast lint fmt clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: venv
	$(BIN)/ebr up

# mypy runs once over the packages that exist and hold Python files.
define MYPY_PACKAGES
	@pkgs=""; for d in $(PACKAGES); do \
	  if ls "$$d"/*.py >/dev/null 2>&1; then pkgs="$$pkgs $$d"; fi; \
	done; \
	if [ -n "$$pkgs" ]; then echo "$(BIN)/mypy$$pkgs"; $(BIN)/mypy $$pkgs; fi
endef

test: venv
	bash scripts/test-deps.sh
	$(BIN)/ruff check .
	$(MYPY_PACKAGES)
	$(BIN)/pytest -q

# The quick loop: the pure domain, signature and workflow tests (time-skipping server), no
# browser, no HTTP, no PostgreSQL; under 2 minutes on 2 cores. CI runs `make test`.
FAST_TESTS := tests/domain tests/signatures tests/workflows

test-fast: venv
	$(BIN)/ruff check .
	$(BIN)/pytest -q -m "not e2e" $(FAST_TESTS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MYPY_PACKAGES)

fmt: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Removes caches and build output; keeps .venv (delete it by hand for a fresh one).
clean:
	rm -rf build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
	rm -rf tests/screenshots tests/artifacts
	rm -f $(STAMP)
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -exec rm -rf {} +
