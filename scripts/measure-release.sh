#!/usr/bin/env bash
# Measures what the release profile's knobs do to the arm64 Lambda package (size) and to the
# request paths' CPU cost (`cargo bench`, on this machine's architecture). Each variant
# builds in its own target dir from scratch, so this takes a while (about 4 minutes a build
# on 2 cores). Prints one table; nothing is changed in Cargo.toml.
#
# `cargo lambda build --release` adds its own profile settings (strip, thin LTO, one codegen
# unit, panic=abort) as --config flags, which outrank these variables; so the variants build
# with --disable-optimizations, and "cargo-lambda-defaults" measures what it adds by itself.
#
# Usage: scripts/measure-release.sh [VARIANT...]   (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

declare -A VARIANTS=(
  [baseline]="lto=false codegen-units=16 strip=none opt-level=3 panic=unwind"
  [lto-cu1-strip]="lto=fat codegen-units=1 strip=symbols opt-level=3 panic=unwind"
  [lto-cu1-strip-opt-s]="lto=fat codegen-units=1 strip=symbols opt-level=s panic=unwind"
  [lto-cu1-strip-abort]="lto=fat codegen-units=1 strip=symbols opt-level=3 panic=abort"
  [cargo-lambda-defaults]=""
)
ORDER=(baseline lto-cu1-strip lto-cu1-strip-opt-s lto-cu1-strip-abort cargo-lambda-defaults)
# The CPU benchmark runs for these only: it needs a second (native) build per variant.
BENCHED=" baseline lto-cu1-strip lto-cu1-strip-opt-s "
(( $# )) && ORDER=("$@")

profile_env() {
  local setting key value
  for setting in $1; do
    key=${setting%%=*} value=${setting#*=}
    key=${key//-/_}
    printf 'CARGO_PROFILE_RELEASE_%s=%s ' "${key^^}" "$value"
  done
}

results=()
for variant in "${ORDER[@]}"; do
  settings=${VARIANTS[$variant]}
  dir=target/measure/$variant
  echo "== $variant: $settings" >&2
  start=$SECONDS
  own_settings=--disable-optimizations
  [[ -z $settings ]] && own_settings=
  env $(profile_env "$settings") CARGO_TARGET_DIR="$dir" cargo lambda build --quiet --release \
    $own_settings --arm64 --output-format zip --bin credvault-api >&2
  build_seconds=$((SECONDS - start))
  zip=$(stat -c %s "$dir/lambda/credvault-api/bootstrap.zip")
  binary=$(stat -c %s "$dir/aarch64-unknown-linux-gnu/release/credvault-api")
  bench="-"
  if [[ $BENCHED == *" $variant "* ]]; then
    bench=$(env $(profile_env "$settings") CARGO_TARGET_DIR="$dir-native" BENCH_MILLIS=1500 \
      cargo bench --quiet --bench vault_ops 2>/dev/null \
      | awk -F'  +' '/ns\/op/ {sub(/ ns\/op/, "", $NF); printf "%s: %s ns; ", $1, $NF}')
  fi
  results+=("$(printf '%-22s zip %9d B  binary %9d B  build %4ds  %s' "$variant" "$zip" "$binary" "$build_seconds" "$bench")")
  echo "${results[-1]}" >&2
done
printf '%s\n' "${results[@]}"
