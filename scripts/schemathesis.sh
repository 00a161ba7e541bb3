#!/usr/bin/env bash
# Property-based API tests: Schemathesis generates requests from openapi.yaml (valid and
# invalid ones, then sequences that follow the spec's links) and checks every answer against
# the spec: status codes, bodies, headers, and that valid input is accepted and invalid input
# refused. Needs a running credvault, e.g. make dev's:
#
#   BASE=http://127.0.0.1:9000 KEY=loid-... scripts/schemathesis.sh
#
# KEY needs vault:read and vault:write; the run stores and deletes credentials of its identity,
# so point it at a test identity. With PLATFORM_KEY (a platform key holding both scopes) the
# platform routes get a pass of their own with it: it makes, changes and deletes identities of
# that key's organisation, so point it at a test organisation. Give the stack a high RATE_LIMIT_PER_MINUTE (a run makes a few
# thousand requests; 429s are allowed by the spec but hide what they refuse).
# Optional: SCHEMATHESIS_SEED (default 1), SCHEMATHESIS_MAX_EXAMPLES (per operation, default 100).
# Exits non-zero on any failure; the failures are printed with a curl line to reproduce each.
set -euo pipefail
cd "$(dirname "$0")/.."

: "${BASE:?set BASE to the API base URL, e.g. http://127.0.0.1:9000}"
: "${KEY:?set KEY to an API key with vault:read and vault:write}"
export KEY # read by the config, so the key stays out of the command line
# The configuration (tests/schemathesis/config.toml) finds its hooks from here.
export CREDVAULT_ROOT=$PWD
seed=${SCHEMATHESIS_SEED:-1}
max_examples=${SCHEMATHESIS_MAX_EXAMPLES:-100}
schemathesis=.venv/bin/schemathesis
[[ -x $schemathesis ]] || { echo "schemathesis: $schemathesis missing; run make venv" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/credvault-schemathesis.XXXXXX")
trap 'rm -rf "$work"' EXIT
# Hypothesis (under schemathesis) caches Unicode tables in .hypothesis/ of the working
# directory; it goes to the scratch directory instead, out of the tree a watcher may follow.
export HYPOTHESIS_STORAGE_DIRECTORY="$work/hypothesis"

# run_pass KEY ARGS...: one schemathesis run as KEY; the key reaches it through the config.
run_pass() {
  KEY=$1 nice -n 10 "$schemathesis" --config-file tests/schemathesis/config.toml run openapi.yaml \
    --url "$BASE" \
    --checks all \
    --seed "$seed" \
    --generation-database none \
    --request-timeout 30 \
    --max-response-time 30 \
    --no-color "${@:2}"
}
status=0
# The identity key everywhere: on the platform routes it gets the 403 of the wrong kind.
run_pass "$KEY" --max-examples "$max_examples" || status=$?
if [[ -n ${PLATFORM_KEY:-} ]]; then
  run_pass "$PLATFORM_KEY" --include-tag platform --max-examples "${SCHEMATHESIS_PLATFORM_EXAMPLES:-15}" || status=$?
fi

if (( status == 0 )); then
  echo "schemathesis: passed (seed $seed, up to $max_examples examples per operation, all checks)"
else
  echo "schemathesis: FAILED with status $status (seed $seed); reproduce with the curl lines above" >&2
fi
exit "$status"
