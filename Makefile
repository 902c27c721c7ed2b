# Two commands do everything on a fresh machine:
#   make demo   set up, then run the whole journey on sample_data/
#   make test   set up, then run the test suite
PY := .venv/bin/python
export FIFTYONE_DO_NOT_TRACK ?= true
export NUMBA_CACHE_DIR ?= $(HOME)/.cache/palette-workbench/numba

.PHONY: setup demo test test-fast docs concept-figures bench sample-data clean

setup:
	@bash scripts/setup.sh

demo: setup
	@$(PY) scripts/demo.py

test: setup
	.venv/bin/lint-imports --no-cache
	$(PY) -m pytest -p no:cacheprovider

test-fast: setup
	.venv/bin/lint-imports --no-cache
	$(PY) -m pytest -p no:cacheprovider -m "not slow and not browser and not realdata"

# Run every notebook on sample_data and render it to docs/notebooks/*.html.
docs: setup
	$(PY) scripts/build_docs.py

# Redraw the pictures of docs/concepts.md (docs/images/*.png) from sample_data.
concept-figures: setup
	$(PY) scripts/concept_figures.py

bench: setup
	$(PY) benchmarks/load.py

sample-data: setup
	$(PY) sample_data/generate.py

clean:
	rm -rf out .pytest_cache
