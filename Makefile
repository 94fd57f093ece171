# scrkb: two commands on a fresh machine — `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install web-assets browser doc-tools demo test test-fast lint eval bench bench-api samples clean

install: $(VENV)/.installed web-assets doc-tools

# torch first and pinned: an unpinned torch pulls gigabytes of CUDA packages. Then the
# ONNX forms of the embedding model are built from the bundled weights (~30 s, once; see
# nlp/onnx_export.py) so that the first ingest or query does not have to.
$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade "pip>=24"
	$(BIN)/pip install --quiet "torch==2.13.0"
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	$(BIN)/scrkb export-embedder
	touch $@

# GOV.UK Frontend (pinned in web/package-lock.json) compiled with the system font stack
# into web/static/govuk/ (gitignored); axe-core for the browser tests. Nothing from a CDN.
web-assets: web/static/govuk/.built

web/static/govuk/.built: web/package.json web/package-lock.json web/build.mjs web/scss/govuk.scss
	cd web && npm ci --no-audit --no-fund --loglevel=error && node build.mjs
	touch $@

# The browser tests drive Debian's Chromium (never a Playwright browser download).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver; \
	fi

# Scanned reports are read with Tesseract (OCR), legacy .doc files with antiword, and
# poppler's pdftoppm/pdfinfo help look at PDFs: Debian packages, installed only when missing.
doc-tools:
	@if [ ! -x /usr/bin/tesseract ] || [ ! -x /usr/bin/antiword ] || [ ! -x /usr/bin/pdftoppm ] \
		|| [ ! -e /usr/share/tesseract-ocr/5/tessdata/eng.traineddata ]; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
			tesseract-ocr tesseract-ocr-eng antiword poppler-utils; \
	fi

samples: install
	$(BIN)/scrkb samples build

demo: install
	$(BIN)/scrkb demo

test: install browser
	$(BIN)/ruff check .
	$(BIN)/pytest -q

test-fast: install
	$(BIN)/pytest -q -m "not slow"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

eval: install
	$(BIN)/scrkb eval --holdout w7

bench: install
	$(BIN)/python bench/ingest_throughput.py
	$(BIN)/python bench/search_latency.py
	$(BIN)/python bench/retrieval_quality.py
	$(BIN)/python bench/tagging_throughput.py

bench-api: install
	$(BIN)/python bench/api_latency.py

clean:
	rm -rf $(VENV) data samples/build test-artifacts
