# signalkb: `make site` builds the bundled knowledge base, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NODE_STAMP := tests/js/node_modules/.installed

.PHONY: site test serve check lint format types clean bench bench-search screenshots golden fuzz hardening

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# axe-core (pinned in tests/js/package-lock.json) for the accessibility tests in a real browser
$(NODE_STAMP): tests/js/package.json tests/js/package-lock.json
	npm ci --prefix tests/js --no-audit --no-fund --loglevel=error
	@touch $(NODE_STAMP)

site: $(STAMP)  ## build content/ into site/
	$(PY) build.py build

test: $(STAMP) $(NODE_STAMP)  ## run every test
	$(PY) -m pytest

check: $(STAMP) $(NODE_STAMP)  ## format check, lint, types, the direction of imports, tests
	$(PY) -m ruff format --check signalkb tests bench docs build.py
	$(PY) -m ruff check signalkb tests bench docs build.py
	$(PY) -m mypy
	$(VENV)/bin/lint-imports --no-logo --no-cache
	$(PY) -m pytest

fuzz: $(STAMP)  ## property tests with the long `fuzz` hypothesis profile (2,000 examples each; FUZZ_EXAMPLES=N for more)
	HYPOTHESIS_PROFILE=fuzz $(PY) -m pytest -q tests/test_fuzz.py tests/test_slugs.py tests/test_urls.py \
		tests/test_table.py tests/test_concepts.py

hardening: fuzz  ## also: 8 builds of 2,000 notes killed at random moments, and the preview under load for 30 s
	FAULT_KILLS=8 FAULT_NOTES=2000 LOAD_SECONDS=30 $(PY) -m pytest -q -s tests/test_faults.py tests/test_serve_load.py

format: $(STAMP)
	$(PY) -m ruff format signalkb tests bench docs build.py
	$(PY) -m ruff check --fix signalkb tests bench docs build.py

serve: $(STAMP)  ## preview at http://127.0.0.1:8000/: rebuilds on every change, reloads open pages
	$(PY) build.py serve

golden: $(STAMP)  ## regenerate the golden site under tests/golden after a reviewed change
	$(PY) -m pytest tests/test_golden.py --update-golden

clean:
	rm -rf site .pytest_cache .mypy_cache .ruff_cache

bench: $(STAMP)  ## speed and memory side by side with Hugo (1,000 and 10,000 notes); prints one table
	$(PY) bench/build_speed.py --notes 1000 10000 --runs 3
	$(PY) bench/forces_speed.py --notes 0 --phrases 60000 --runs 3

bench-search: $(STAMP)  ## search index size and first-query transfer on a generated 10,000-note knowledge base
	$(PY) bench/search_size.py --notes 10000

screenshots: $(STAMP)  ## the README's pictures: docs/screenshots/*.png (light and dark) and docs/force-index.png
	$(PY) docs/screenshots.py
