# Two commands do all the set-up: `make demo` and `make test`.
# Each creates .venv and installs the package with all extras from constraints.txt.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export NO_ALBUMENTATIONS_UPDATE := 1
export TOKENIZERS_PARALLELISM := false
export HF_HUB_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export MPLBACKEND := Agg

# `make test` runs `make lint` first (CI runs both); `make test WITH_LINT=0` runs the tests alone.
# (Not named LINT: GNU make predefines LINT = lint.)
WITH_LINT ?= 1

.PHONY: venv test lint demo bench examples docs gallery clean

venv: $(STAMP)

$(STAMP): setup.cfg setup.py pyproject.toml constraints.txt collate/functional/_kernels.c loaders/_hashkeys.c
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e '.[image,audio,text,syntax,demo,integrations,lint,docs,dev]'
	touch $(STAMP)

test: $(STAMP)
ifeq ($(WITH_LINT),1)
	$(MAKE) --no-print-directory lint
endif
	$(PY) -m pytest -q

# ruff (lint and format, settings in pyproject.toml), mypy on loaders and collate, and the import-linter contracts.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache

demo: $(STAMP)
	$(PY) examples/demo.py

examples: $(STAMP)
	$(PY) examples/demo.py
	$(PY) examples/audio.py
	$(PY) examples/text.py
	$(PY) examples/adaptive.py

bench: $(STAMP)
	$(PY) benchmarks/run_all.py

# The documentation site (mkdocs-material + mkdocstrings), built offline and strictly into site/.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict --site-dir site

# Runs the examples and copies their pictures, shrunk, into docs/gallery/ (committed, so the site builds without them).
GALLERY_OUT := outputs/gallery
gallery: $(STAMP)
	rm -rf $(GALLERY_OUT)
	$(PY) examples/demo.py --out $(GALLERY_OUT)
	$(PY) examples/audio.py --out $(GALLERY_OUT)
	$(PY) examples/adaptive.py --out $(GALLERY_OUT)
	$(PY) docs/gallery/collect.py $(GALLERY_OUT) docs/gallery

clean:
	rm -rf $(VENV) outputs benchmarks/results build
	rm -f collate/functional/_kernels.*.so loaders/_hashkeys.*.so
