# credvault: `make dev` runs the service on loopback, `make test` runs every check.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
VENV_SAM := .venv-sam
LAMBDA_ZIP := target/lambda/credvault-api/bootstrap.zip

.PHONY: help dev test lint deny-tool unit template e2e package bench toolchain venv clean sam-local

help:
	@echo "make dev       run credvault locally (moto + cargo lambda watch) and print how to call it"
	@echo "make test      fmt, clippy, unit/handler/fault/moto tests, template checks, end-to-end run"
	@echo "make package   the arm64 Lambda zip ($(LAMBDA_ZIP))"
	@echo "make bench     the release function under a Runtime API stub, and the CPU/memory benches"
	@echo "make sam-local the built function under sam local start-api (Docker) against moto"

# Rust comes from rustup; the components the checks need are added when missing.
toolchain:
	@command -v cargo >/dev/null || { echo "Rust is required: https://rustup.rs" >&2; exit 1; }
	@cargo fmt --version >/dev/null 2>&1 || rustup component add rustfmt
	@cargo clippy --version >/dev/null 2>&1 || rustup component add clippy

# Each venv is rebuilt whenever its requirements change.
$(VENV)/.ready: requirements-dev.txt
	@scripts/venv.sh $(VENV) requirements-dev.txt
	@touch $@

$(VENV_SAM)/.ready: requirements-sam.txt
	@scripts/venv.sh $(VENV_SAM) requirements-sam.txt
	@touch $@

venv: $(VENV)/.ready

dev: toolchain venv
	@scripts/dev.sh

# Supply chain: cargo-deny, built from crates.io the first time (a few minutes).
CARGO_DENY_VERSION := 0.20.2
deny-tool:
	@cargo deny --version 2>/dev/null | grep -q "$(CARGO_DENY_VERSION)" || cargo install --locked cargo-deny@$(CARGO_DENY_VERSION)

lint: toolchain deny-tool
	cargo fmt --all -- --check
	cargo clippy --all-targets -- -D warnings
	cargo deny check licenses bans sources
	scripts/advisories.sh

# The egress tests open real sockets: they run in a network namespace with loopback alone
# (scripts/netns.sh), offline, after the build above.
unit: toolchain venv
	cargo test
	scripts/netns.sh cargo test --offline --test egress -- --ignored

# The template expanded offline, linted, and checked for the properties the deployment
# relies on; then `sam validate --lint` as users run it; and openapi.yaml validated.
template: venv $(VENV_SAM)/.ready
	@mkdir -p target
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/python tests/template/check_template.py template.yaml target/template.expanded.json
	SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=us-east-1 $(VENV_SAM)/bin/sam validate --lint --template template.yaml
	$(VENV)/bin/openapi-spec-validator openapi.yaml

# The whole stack in a loopback-only network namespace: brokered requests can reach the
# local upstream and nothing else. Everything it needs is built or installed before,
# Chromium for the request link's browser test included (scripts/browser.sh).
e2e: toolchain venv
	@scripts/browser.sh
	cargo build --quiet --bin credvault --bin credvault-api
	scripts/netns.sh env CARGO_NET_OFFLINE=true scripts/e2e.sh

test: lint unit template e2e

package: toolchain venv
	@rustup target list --installed | grep -q aarch64-unknown-linux-gnu || rustup target add aarch64-unknown-linux-gnu
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" cargo lambda build --release --arm64 --output-format zip --bin credvault-api
	@ls -l $(LAMBDA_ZIP) | awk '{printf "package: %s, %d bytes (%.1f MiB)\n", $$9, $$5, $$5/1048576}'

# The release function under a local Lambda Runtime API against moto, beside a hello-world
# lambda_http built in the same run (BENCHMARKS.md); then the CPU and memory microbenches.
bench: toolchain venv
	$(VENV)/bin/python -m pip install --quiet -r requirements-bench.txt
	cargo build --release --bin credvault --bin credvault-api --example hello
	$(VENV)/bin/python scripts/bench.py
	$(VENV)/bin/python scripts/cost.py
	cargo bench --bench vault_ops
	cargo bench --bench peak_memory
	cargo bench --bench broker

# The function as `sam build` makes it, under `sam local start-api` in Docker, against moto on
# the host (docs/deploy.md); ARCH=arm64 for the deployed architecture. Not part of `make test`.
sam-local: toolchain venv $(VENV_SAM)/.ready
	@scripts/sam-local.sh

clean:
	cargo clean
	rm -rf $(VENV) $(VENV_SAM)
