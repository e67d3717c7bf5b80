# Lifeboat — see README.md.
SWIFT ?= swift
SWIFT_TEST_FLAGS ?=
# How many test cases run at once. The suite starts dozens of in-process clusters, S3 servers and
# processes; on a 2-core machine, running all of them at once starves their controllers for seconds.
TEST_WIDTH ?= 8

.PHONY: all build test deps lint format quickstart bench soak fuzz clean

all: build

deps:
	@bash scripts/install-test-deps.sh

build: deps
	$(SWIFT) build

## make lint: swift-format (the settings in .swift-format, warnings are failures) and Package.swift's
## declared dependencies against what each target imports.
lint:
	$(SWIFT) format lint --strict --parallel --recursive Sources Tests Package.swift
	python3 scripts/check-package-imports.py

## make format: rewrite the sources in place with swift-format.
format:
	$(SWIFT) format format --in-place --parallel --recursive Sources Tests Package.swift

## make test: install what the tests need (idempotent), lint, build, run the whole suite.
test: deps lint
	$(SWIFT) build --build-tests
	SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH=$(TEST_WIDTH) $(SWIFT) test --skip-build $(SWIFT_TEST_FLAGS)
	$$($(SWIFT) build --show-bin-path)/lifeboat-bench faults --runs 3 --configmaps 200

## make soak: runs killed with SIGKILL at random moments, cleaned up and retried (docs/cli.md, "Failures").
soak: deps
	$(SWIFT) build
	$$($(SWIFT) build --show-bin-path)/lifeboat-bench faults --runs 20

## make fuzz: the parsers of untrusted input under lifeboat-fuzz, each target for its fixed number of inputs
## (2-4 minutes in a debug build). Findings are saved under fuzz-findings/. Not part of `make test`.
fuzz:
	$(SWIFT) build --product lifeboat-fuzz
	$$($(SWIFT) build --show-bin-path)/lifeboat-fuzz

## make quickstart: the main job on embedded defaults (in-process sandbox, local-folder location).
quickstart: deps
	$(SWIFT) build --product lifeboat
	$$($(SWIFT) build --show-bin-path)/lifeboat quickstart

## make bench: release-build benchmarks; figures are ratios against anchors measured in the same run.
## The subcommands are listed in docs/benchmarks.md, e.g. `lifeboat-bench repo` (restic vs Lifeboat's repository)
## and `lifeboat-bench fs-backup` (a pod volume through the whole stack vs `lifeboat repo` and restic).
bench: deps
	$(SWIFT) build -c release --product lifeboat-bench
	$$($(SWIFT) build -c release --show-bin-path)/lifeboat-bench --help

clean:
	rm -rf .build
