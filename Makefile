# credvault: `make dev` runs the service on loopback, `make test` runs every check.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
VENV_READY := $(VENV)/.ready

.PHONY: help dev test lint unit e2e toolchain venv clean

help:
	@echo "make dev    run credvault locally (moto + cargo lambda watch) and print how to call it"
	@echo "make test   formatting, clippy, unit, handler, fault and moto tests, and the end-to-end run"

# Rust comes from rustup; the components the checks need are added when missing.
toolchain:
	@command -v cargo >/dev/null || { echo "Rust is required: https://rustup.rs" >&2; exit 1; }
	@cargo fmt --version >/dev/null 2>&1 || rustup component add rustfmt
	@cargo clippy --version >/dev/null 2>&1 || rustup component add clippy

# The venv is rebuilt whenever requirements-dev.txt changes.
$(VENV_READY): requirements-dev.txt
	@scripts/venv.sh $(VENV) requirements-dev.txt
	@touch $@

venv: $(VENV_READY)

dev: toolchain venv
	@scripts/dev.sh

lint: toolchain
	cargo fmt --all -- --check
	cargo clippy --all-targets -- -D warnings

unit: toolchain venv
	cargo test

e2e: toolchain venv
	scripts/e2e.sh

test: lint unit e2e

clean:
	cargo clean
	rm -rf $(VENV)
