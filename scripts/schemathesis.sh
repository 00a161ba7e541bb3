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
export KEY # read by the config below, so the key stays out of the command line
seed=${SCHEMATHESIS_SEED:-1}
max_examples=${SCHEMATHESIS_MAX_EXAMPLES:-100}
schemathesis=.venv/bin/schemathesis
[[ -x $schemathesis ]] || { echo "schemathesis: $schemathesis missing; run make venv" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/credvault-schemathesis.XXXXXX")
trap 'rm -rf "$work"' EXIT
# Hypothesis (under schemathesis) caches Unicode tables in .hypothesis/ of the working
# directory; it goes to the scratch directory instead, out of the tree a watcher may follow.
export HYPOTHESIS_STORAGE_DIRECTORY="$work/hypothesis"

# Bodies that are not UTF-8 are left out. Schemathesis sends a few random byte strings as JSON
# bodies; `cargo lambda watch` (make dev's stand-in for API Gateway) cannot put such a body in
# the JSON event it hands the function, and answers a bare 500 itself before credvault runs.
# API Gateway does not pass such bytes as text either: an HTTP API decides by Content-Type
# whether to base64-encode a body (isBase64Encoded), and credvault's handler reads both forms.
# Random bytes that are valid UTF-8 but not JSON still go out.
cat >"$work/hooks.py" <<'PY'
import schemathesis


@schemathesis.hook
def filter_body(context, body):
    if isinstance(body, (bytes, bytearray)):
        try:
            bytes(body).decode("utf-8")
        except UnicodeDecodeError:
            return False
    return True
PY

# The statuses a valid request may get when it meets stored state the generator cannot know:
# 404 (no such credential), 410 (an expired one, stored by an earlier case), and for the TOTP
# and backup-code calls 400 (no seed on that credential, no backup code left). GET /v0/logs and
# GET /v0/vault answer 400 to a pageToken they did not give out, and any string of the token's
# alphabet is a schema-valid (opaque) token.
cat >"$work/schemathesis.toml" <<TOML
hooks = "$work/hooks.py"
# No state kept between runs (it would go to .schemathesis/ in the work tree).
cache = { enabled = false }
headers = { Authorization = "Bearer \${KEY}" }

[checks.positive_data_acceptance]
expected-statuses = ["2XX", 401, 403, 404, 410, 429, "5XX"]

[[operations]]
include-operation-id = ["totpCode", "useBackupCode", "listLogs", "listCredentials", "listIdentities", "addIdentityKey"]
checks.positive_data_acceptance.expected-statuses = ["2XX", 400, 401, 403, 404, 410, 429, "5XX"]
TOML

# POST /mcp is described in openapi.yaml but not generated here: its bodies are JSON-RPC
# messages whose answers depend on the method, and real MCP clients test it (tests/mcp/).
# run_pass KEY ARGS...: one schemathesis run as KEY; the key reaches it through the config.
run_pass() {
  KEY=$1 nice -n 10 "$schemathesis" --config-file "$work/schemathesis.toml" run openapi.yaml \
    --url "$BASE" \
    --checks all \
    --exclude-operation-id mcp \
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
