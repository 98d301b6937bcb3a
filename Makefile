# Ensemble: `make demo` runs the main job on a bundled scenario; `make test` runs every test.
# On a fresh Debian machine with the Swift toolchain these two commands do all the set-up.

SWIFT ?= swift
DEMO_SCENARIO ?= Scenarios/dbt-skills-group
# System libraries the build links: OpenSSL's libcrypto (content hashes, the audit chain) and SQLite (the
# store). libcurl comes with the language-model client.
APT_PACKAGES ?= libssl-dev libsqlite3-dev pkg-config
SWIFT_BUILD_FLAGS ?=
# Python tools the tests use, in a local virtual environment: pyx12 validates the 837P files, and
# fhir.resources (its models are FHIR 4.0.1; it needs pydantic 1) validates the FHIR Bundles.
VENV ?= .build/venv
PYX12_VERSION ?= 4.0.0
FHIR_RESOURCES_VERSION ?= 6.4.0
PYDANTIC_VERSION ?= 1.10.27

.PHONY: all build release install demo test browser-test deps pytools bench bench-store check-scenarios format clean risk-figures attribution-report

# `make install PREFIX=…`: the binary in PREFIX/bin and the default agents' configuration it finds by
# itself in PREFIX/share/ensemble/Agents (a practice's own folder still wins: --agents, ENSEMBLE_AGENTS).
PREFIX ?= /usr/local
CONFIGURATION ?= release

all: build

## Install the system libraries the build needs (only when missing; apt when root, advice otherwise).
deps:
	@command -v $(SWIFT) >/dev/null 2>&1 || { echo "error: the Swift toolchain (swift) is not on PATH; install Swift 6.3 first" >&2; exit 1; }
	@missing=""; for package in $(APT_PACKAGES); do \
	  dpkg -s $$package >/dev/null 2>&1 || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing:$$missing"; \
	    (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else \
	    echo "error: missing system packages:$$missing; run: sudo apt-get install$$missing" >&2; exit 1; \
	  fi; \
	fi

## pyx12 and fhir.resources from PyPI into $(VENV) (python3 and its venv module from apt when root and missing).
pytools:
	@if [ ! -x $(VENV)/bin/x12valid ] || ! $(VENV)/bin/python -c 'import fhir.resources.bundle' >/dev/null 2>&1; then \
	  if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then \
	    if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	      echo "installing: python3 python3-venv"; \
	      (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv; \
	    else \
	      echo "error: the tests need python3 with venv; run: sudo apt-get install python3 python3-venv" >&2; exit 1; \
	    fi; \
	  fi; \
	  rm -rf $(VENV) && python3 -m venv $(VENV) && \
	  $(VENV)/bin/pip install --quiet --disable-pip-version-check pyx12==$(PYX12_VERSION) \
	    fhir.resources==$(FHIR_RESOURCES_VERSION) pydantic==$(PYDANTIC_VERSION) && \
	  echo "installed pyx12 $(PYX12_VERSION) and fhir.resources $(FHIR_RESOURCES_VERSION) into $(VENV)"; \
	fi

build: deps
	$(SWIFT) build $(SWIFT_BUILD_FLAGS)

release: deps
	$(SWIFT) build -c release --product ensemble

install: deps
	$(SWIFT) build -c $(CONFIGURATION) --product ensemble $(SWIFT_BUILD_FLAGS)
	install -d "$(PREFIX)/bin" "$(PREFIX)/share/ensemble"
	install -m 0755 "$$($(SWIFT) build -c $(CONFIGURATION) --show-bin-path $(SWIFT_BUILD_FLAGS))/ensemble" "$(PREFIX)/bin/ensemble"
	rm -rf "$(PREFIX)/share/ensemble/Agents" && cp -R Agents "$(PREFIX)/share/ensemble/Agents"
	@echo "installed $(PREFIX)/bin/ensemble and $(PREFIX)/share/ensemble/Agents"

## Draft a bundled group session: a note per attendee, the group note, plan progress, risk flags.
demo: release
	@echo "== ensemble draft $(DEMO_SCENARIO)"
	@.build/release/ensemble draft $(DEMO_SCENARIO)
	@echo
	@echo "== ensemble claims $(DEMO_SCENARIO) (per-attendee claims for billing staff)"
	@.build/release/ensemble claims $(DEMO_SCENARIO)
	@echo
	@echo "== ensemble check Scenarios/* (attribution against each expected.json)"
	@.build/release/ensemble check Scenarios/*/

# A throwaway PostgreSQL server for the store's PostgreSQL tests (scripts/test-postgres), started and
# stopped around the Swift tests and the scale-out test (two `ensemble serve` instances on one database,
# one killed with SIGKILL partway); where PostgreSQL cannot be installed they say so and skip.
PGTEST ?= .build/pgtest

test: deps pytools
	$(SWIFT) build --build-tests $(SWIFT_BUILD_FLAGS)
	@url=$$(scripts/test-postgres start $(PGTEST)) || { url=""; echo "note: no PostgreSQL for the tests; its tests are skipped"; }; \
	ENSEMBLE_TEST_DATABASE_URL="$$url" ENSEMBLE_REQUIRE_PYX12=1 ENSEMBLE_X12VALID=$(abspath $(VENV))/bin/x12valid \
	  ENSEMBLE_REQUIRE_FHIR_VALIDATOR=1 ENSEMBLE_PYTHON=$(abspath $(VENV))/bin/python \
	  $(SWIFT) test --skip-build $(SWIFT_BUILD_FLAGS); status=$$?; \
	if [ $$status = 0 ] && [ -n "$$url" ]; then \
	  scripts/scale-out-test $$($(SWIFT) build --show-bin-path $(SWIFT_BUILD_FLAGS))/ensemble \
	    $$(scripts/test-postgres createdb $(PGTEST) ensemble_scale_out); status=$$?; \
	fi; \
	scripts/test-postgres stop $(PGTEST); exit $$status
	scripts/install-test
	ENSEMBLE_BIN=$$($(SWIFT) build --show-bin-path $(SWIFT_BUILD_FLAGS))/ensemble scripts/browser-test

## The review flow in headless Chromium (installs chromium, chromium-driver and selenium as needed).
browser-test: build
	ENSEMBLE_BIN=$$($(SWIFT) build --show-bin-path $(SWIFT_BUILD_FLAGS))/ensemble scripts/browser-test

## Speed and memory figures (release build); see Benchmarks/.
## Attribution under simulated diarization errors (split, merged, swapped labels, shared devices,
## misheard names, unlabelled stretches) on the bundled scenarios: a table per kind of error.
attribution-report: deps
	ENSEMBLE_ATTRIBUTION_REPORT=1 $(SWIFT) test --filter 'DiarizationSimulatorTests|realisticDiarizationErrors' 2>&1 \
		| grep -E '^(error|none|split|merge|swap|sharedDevice|misspell|drop|realistic)[ ,]|^(data set|Zoom class|ACI-Bench|AnnoMI|PriMock57|AMI ES2004a)  |^held-out '

bench: deps
	$(SWIFT) run -c release EnsembleBenchmarks

## The store under load on SQLite and on a throwaway PostgreSQL server (fsync on, as in production):
## jobs drafted per second by 1, 2 and 4 workers, review actions per second by concurrent clients.
bench-store: deps
	$(SWIFT) build -c release --product EnsembleStoreBenchmarks
	@url=$$(PGTEST_FSYNC=on scripts/test-postgres start .build/pgbench) || url=""; \
	ENSEMBLE_TEST_DATABASE_URL="$$url" .build/release/EnsembleStoreBenchmarks $(BENCH_ARGS); status=$$?; \
	scripts/test-postgres stop .build/pgbench; exit $$status

## Format the sources as the project does (4 spaces, 120 columns; swift-format ships with the toolchain).
format:
	$(SWIFT) format --in-place --recursive --configuration .ci/swift-format.json Sources Tests Benchmarks Package.swift

check-scenarios: release
	.build/release/ensemble check --min-accuracy 0.95 Scenarios/*/

clean:
	rm -rf .build

## The RiskScreener's figures: the labelled suite, and the Reddit C-SSRS data when ../shared/data has it.
risk-figures: build
	.build/debug/ensemble evaluate-risk Tests/Fixtures/risk-suite/suite.json
	@if [ -f ../shared/data/cssrs-reddit/500_Reddit_users_posts_labels.csv ]; then \
	  python3 scripts/cssrs-sessions -o .build/cssrs-sessions.jsonl && \
	  .build/debug/ensemble evaluate-risk --corpus .build/cssrs-sessions.jsonl; \
	else echo "skipped: ../shared/data/cssrs-reddit is not here"; fi
