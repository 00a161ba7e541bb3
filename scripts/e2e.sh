#!/usr/bin/env bash
# End to end: `make dev`'s real stack (moto + cargo lambda watch) on free loopback ports, the
# seed's curl examples against it, then a look at what it logged. Stops what it started.
set -euo pipefail
set -m # background jobs get their own process group, so stopping one stops all it started
cd "$(dirname "$0")/.."
source scripts/lib.sh

free_port() { python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
EMULATOR_PORT=$(free_port)
CREDVAULT_API_KEY="loid-$(python -c 'import secrets; print(secrets.token_hex(32))')"
LOG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/credvault-e2e.XXXXXX")
# Schemathesis sends a few thousand requests: the limit is raised for this stack only.
RATE_LIMIT_PER_MINUTE=1000000
# Revocations below are checked on the very next request: no warm principal cache here
# (deployed, a revoked key works up to PRINCIPAL_CACHE_SECONDS on a warm instance).
PRINCIPAL_CACHE_SECONDS=0
# One build for the whole run: no reload when something writes into the tree.
DEV_RELOAD=0
export DEV_RELOAD PORT EMULATOR_PORT CREDVAULT_API_KEY LOG_DIR RATE_LIMIT_PER_MINUTE PRINCIPAL_CACHE_SECONDS
export_local_aws "$EMULATOR_PORT" # for the CLI calls below; dev.sh sets the same
export KMS_KEY_ID=${KMS_ALIAS:-alias/credvault-dev} # the operator verbs unwrap the key-item MAC

# A local upstream for brokered use, plain HTTP on loopback: the one destination the
# function may reach without TLS, by BROKER_TEST_UPSTREAMS.
UPSTREAM_PORT=$(free_port)
UPSTREAM=127.0.0.1:$UPSTREAM_PORT
BROKER_TEST_UPSTREAMS=$UPSTREAM
RECEIVED_FILE=$LOG_DIR/upstream-received.jsonl
export BROKER_TEST_UPSTREAMS
python tests/broker/echo_upstream.py "$UPSTREAM_PORT" "$RECEIVED_FILE" &
upstream_pid=$!

scripts/dev.sh >"$LOG_DIR/dev.out" 2>&1 &
dev=$!
stop() {
  kill -INT -- "-$dev" 2>/dev/null || true; wait "$dev" 2>/dev/null || true
  kill "$upstream_pid" 2>/dev/null || true
}
trap stop EXIT

deadline=$((SECONDS + 1200))
until grep -q "credvault is running" "$LOG_DIR/dev.out"; do
  if ! kill -0 "$dev" 2>/dev/null || (( SECONDS > deadline )); then
    echo "e2e: make dev did not come up" >&2; cat "$LOG_DIR/dev.out" >&2; exit 1
  fi
  sleep 2
done

source scripts/seed-checks.sh # pass, fail, expect and the seed's curls, shared with sam-local.sh
out=$LOG_DIR/body.json
BASE=http://127.0.0.1:$PORT
KEY=$CREDVAULT_API_KEY

seed_checks "$BASE" "$KEY" "$out"

status=$(curl -s -o "$out" -w '%{http_code}' -X PUT $BASE/v0/vault/stripe \
  -H "Authorization: Bearer $KEY" -d '{"type":"API_KEY","data":{"key":"sk_live_rotated"}}')
expect "same name again replaces" 200 "$status" "$out" 'b["metadata"] is None'

status=$(curl -s -o "$out" -w '%{http_code}' -X PUT $BASE/v0/vault/stripe \
  -H "Authorization: Bearer $KEY" -d '{"type":"API_KEY","data":"sk_live_abc123"}')
expect "bad body is 400" 400 "$status" "$out" 'b["error"] == "bad_request" and "sk_live" not in b["message"]'

# Numbers that a parse and print of an f64 does not reproduce read back as they were sent, as
# text (so 1.50 stays 1.50), in metadata and in data.
for number in 1.423966195757457e-18 2.0625462831823275e-13 2.2790121708605243e274 123456789012345678901234567890.50; do
  sent="{\"type\":\"CUSTOM\",\"data\":{\"k\":\"v\",\"n\":$number},\"metadata\":{\"n\":$number}}"
  stored=$(curl -s -o /dev/null -w '%{http_code}' -X PUT $BASE/v0/vault/exact -H "Authorization: Bearer $KEY" -d "$sent")
  status=$(curl -s -o "$out" -w '%{http_code}' $BASE/v0/vault/exact -H "Authorization: Bearer $KEY")
  expect "$number stores ($stored) and reads back exactly" 200 "$status" "$out" \
    "open(sys.argv[1]).read().count('\"n\":$number') == 2"
done

# What the service logged: one access line per request, and no secret anywhere.
log=$LOG_DIR/api.log
if grep -q '"target":"credvault::access"' "$log" && ! grep -qE "sk_live_abc123|sk_live_rotated|s3cret!|JBSWY3DPEHPK3PXP|$KEY" "$log"; then
  pass "logs hold access lines and no secret"
else
  fail "logs: see $log"
fi

# A key limited by grants to `github*:use`: a TOTP code for github-2fa, no data, and
# stripe is not there for it.
cli=${CARGO_TARGET_DIR:-target}/debug/credvault
table=${TABLE_NAME:-credvault-dev}
dev_id=$(curl -s $BASE/v0/whoami -H "Authorization: Bearer $KEY" | python -c 'import json,sys; print(json.load(sys.stdin)["identityId"])')
use_key=$($cli identity key add --table "$table" "$dev_id" --grant 'github*:use' 2>/dev/null | json_field apiKey)
status=$(curl -s -o "$out" -w '%{http_code}' $BASE/v0/vault/github-2fa/totp -H "Authorization: Bearer $use_key")
expect "a github*:use key gets a TOTP code" 200 "$status" "$out" 'b["code"].isdigit()'
status=$(curl -s -o "$out" -w '%{http_code}' $BASE/v0/vault/github-2fa -H "Authorization: Bearer $use_key")
expect "a github*:use key gets no data (403)" 403 "$status" "$out" '"data" not in b and "read" in b["message"]'
status=$(curl -s -o "$out" -w '%{http_code}' $BASE/v0/vault/stripe -H "Authorization: Bearer $use_key")
expect "a github*:use key does not see stripe (404)" 404 "$status" "$out" 'b["message"] == "Credential not found"'

# The official Python SDK, unchanged, against the same stack.
read_key=$($cli identity create --table "$table" --name sdk-reader --scopes vault:read 2>/dev/null | json_field apiKey)
if CREDVAULT_API_URL=$BASE CREDVAULT_API_KEY=$KEY CREDVAULT_READ_KEY=$read_key python tests/sdk/sdk_roundtrip.py; then
  pass "official SDK round trip"
else
  fail "official SDK round trip"
fi

# An orchestrator's platform key, through the official SDK's MailgentPlatform.
platform_key=$($cli platform-key create --table "$table" --org org_e2e --scopes vault:read,vault:write 2>/dev/null | json_field platformKey)
if MAILGENT_API_URL=$BASE MAILGENT_PLATFORM_KEY=$platform_key CREDVAULT_API_KEY=$KEY python tests/sdk/platform_roundtrip.py; then
  pass "official SDK: a platform key's identities"
else
  fail "official SDK: a platform key's identities"
fi

# An MCP client written by others (the `mcp` package) lists and calls every tool at /mcp.
if CREDVAULT_API_URL=$BASE CREDVAULT_API_KEY=$KEY CREDVAULT_READ_KEY=$read_key CREDVAULT_PLATFORM_KEY=$platform_key python tests/mcp/mcp_client.py; then
  pass "MCP client (PyPI mcp) against /mcp"
else
  fail "MCP client (PyPI mcp) against /mcp"
fi

# The credvault CLI against the same stack: expect_cli NAME EXIT CHECK -- COMMAND...
# CHECK is a Python expression over `out` (stdout) and `err` (stderr).
expect_cli() {
  local name=$1 want=$2 check=$3; shift 4
  local got=0
  "$@" >"$LOG_DIR/cli.out" 2>"$LOG_DIR/cli.err" || got=$?
  if [[ $got == "$want" ]] && python -c "import sys; out=open(sys.argv[1]).read(); err=open(sys.argv[2]).read(); sys.exit(0 if ($check) else 1)" "$LOG_DIR/cli.out" "$LOG_DIR/cli.err"; then
    pass "cli: $name"
  else
    fail "cli: $name: exit $got, want $want; out: $(cat "$LOG_DIR/cli.out"); err: $(cat "$LOG_DIR/cli.err")"
  fi
}
export CREDVAULT_API_URL=$BASE
echo '{"password": "cli-s3cret"}' >"$LOG_DIR/login.json"
expect_cli "store with --data @file" 0 '"cli-login" in out and "cli-s3cret" not in out' -- \
  env CREDVAULT_API_KEY="$KEY" $cli vault store cli-login --type LOGIN --data "@$LOG_DIR/login.json" --metadata '{"username":"bot"}'
expect_cli "store with --data - (stdin)" 0 '"TOTP" in out' -- \
  env CREDVAULT_API_KEY="$KEY" sh -c "echo '{\"secret\":\"JBSWY3DPEHPK3PXP\",\"backupCodes\":[\"cli-b1\"]}' | $cli vault store cli-2fa --type TOTP --data -"
expect_cli "get --json" 0 '"cli-s3cret" in out and "bot" in out' -- env CREDVAULT_API_KEY="$KEY" $cli vault get cli-login --json
expect_cli "get as a table" 0 'out.startswith(" Field") and "cli-login" in out and "Data:" in out and "cli-s3cret" in out' -- env CREDVAULT_API_KEY="$KEY" $cli vault get cli-login
expect_cli "list as a table" 0 'out.startswith(" Name") and "cli-login" in out and "cli-s3cret" not in out' -- env CREDVAULT_API_KEY="$KEY" $cli vault list
expect_cli "whoami" 0 '"Identity ID" in out and "vault:write" in out' -- env CREDVAULT_API_KEY="$KEY" $cli whoami
expect_cli "logs list --json" 0 '__import__("json").loads(out)["logs"][0]["action"] == "identity_whoami"' -- env CREDVAULT_API_KEY="$KEY" $cli logs list --limit 3 --json
expect_cli "logs list as a table, filtered" 0 'out.startswith(" Time") and "vault_store" in out and "vault_get" not in out' -- env CREDVAULT_API_KEY="$KEY" $cli logs list --action vault_store
expect_cli "logs stats" 0 '"Total events" in out and "Category: vault" in out' -- env CREDVAULT_API_KEY="$KEY" $cli logs stats
expect_cli "a bad filter is the API's 400" 3 '"(400 bad_request)" in err' -- env CREDVAULT_API_KEY="$KEY" $cli logs list --status maybe
expect_cli "totp" 0 '__import__("json").loads(out)["code"].isdigit()' -- env CREDVAULT_API_KEY="$KEY" $cli vault totp cli-2fa
expect_cli "totp-use-backup" 0 '__import__("json").loads(out)["code"] == "cli-b1"' -- env CREDVAULT_API_KEY="$KEY" $cli vault totp-use-backup cli-2fa
expect_cli "delete" 0 'out == ""' -- env CREDVAULT_API_KEY="$KEY" $cli vault delete cli-login
expect_cli "a 4xx exits 3 with the API's message" 3 '"Credential not found (404 not_found)" in err' -- \
  env CREDVAULT_API_KEY="$KEY" $cli vault get cli-login
expect_cli "--api-key warns about shell history" 0 '"shell history" in err' -- \
  env -u CREDVAULT_API_KEY $cli vault list --api-key "$KEY"
expect_cli "a missing --type is a usage error" 2 '"--type" in err' -- env CREDVAULT_API_KEY="$KEY" $cli vault store x --data '{}'
expect_cli "bad --data JSON is refused locally, unquoted" 1 '"--data is not valid JSON" in err and "sk_live_oops" not in err' -- \
  env CREDVAULT_API_KEY="$KEY" $cli vault store x --type API_KEY --data '{"key": sk_live_oops}'
expect_cli "an unreachable API exits 5" 5 '"cannot reach the API" in err' -- \
  env CREDVAULT_API_KEY="$KEY" CREDVAULT_API_URL="http://127.0.0.1:$(free_port)" $cli vault list

# Identities: create, use, list (no keys shown), revoke, then 401.
agent=$($cli identity create --table "$table" --name cli-agent 2>/dev/null)
agent_key=$(json_field apiKey <<<"$agent")
agent_id=$(json_field identityId <<<"$agent")
expect_cli "a new identity's key works, on an empty vault" 0 '__import__("json").loads(out)["count"] == 0' -- \
  env CREDVAULT_API_KEY="$agent_key" $cli vault list --json
expect_cli "identity list shows it, never a key" 0 "'$agent_id' in out and 'loid-' not in out" -- \
  $cli identity list --table "$table"
expect_cli "identity revoke" 0 '"revoked" in err' -- $cli identity revoke --table "$table" "$agent_id"
expect_cli "a revoked key is 401 at once" 3 '"Invalid API key (401 unauthorized)" in err' -- \
  env CREDVAULT_API_KEY="$agent_key" $cli vault list
expect_cli "an admin verb without a table names the setting" 1 '"TABLE_NAME" in err' -- \
  env -u TABLE_NAME $cli identity list
expect_cli "minting without the KMS key names the setting, and mints nothing" 1 '"KMS_KEY_ID" in err and out == ""' -- \
  env -u KMS_KEY_ID $cli identity create --table "$table" --name no-kms-key
expect_cli "... and the identity list does not hold it" 0 "'no-kms-key' not in out and 'sdk-reader' in out" -- \
  $cli identity list --table "$table"

# The supervisor verbs, with the platform key.
export CREDVAULT_PLATFORM_KEY=$platform_key
expect_cli "supervisor create prints the key once" 0 '"mgnt-" in out and "Identity ID" in out' -- \
  $cli supervisor create --name cli-sub --scopes vault:read
sub_id=$(python -c 'import re,sys; print(re.search(r"idt_[0-9a-f]+", open(sys.argv[1]).read()).group(0))' "$LOG_DIR/cli.out")
expect_cli "supervisor list" 0 "out.startswith(' Identity ID') and '$sub_id' in out and 'mgnt-' not in out" -- $cli supervisor list
expect_cli "supervisor update-scopes" 0 '"vault:read, vault:write" in out' -- $cli supervisor update-scopes "$sub_id" --add vault:write
expect_cli "supervisor rotate-key" 0 '"New API key: mgnt-" in out' -- $cli supervisor rotate-key "$sub_id"
expect_cli "supervisor key add, limited" 0 '__import__("json").loads(out)["grants"][0]["allow"] == ["use"]' -- \
  $cli supervisor key add "$sub_id" --grant 'github*:use' --max-uses 5 --json
sub_key=$(python -c 'import json,sys; print(json.load(open(sys.argv[1]))["keyId"])' "$LOG_DIR/cli.out")
expect_cli "supervisor key list, never a key" 0 "'$sub_key' in out and 'mgnt-' in out and len(out.split('mgnt-')[1].split()[0]) < 20" -- \
  $cli supervisor key list "$sub_id"
expect_cli "supervisor key revoke" 0 '"revoked" in err' -- $cli supervisor key revoke "$sub_id" "$sub_key"
expect_cli "supervisor delete" 0 '"deleted" in err' -- $cli supervisor delete "$sub_id"
expect_cli "supervisor get of a deleted identity is 404" 3 '"(404 not_found)" in err' -- $cli supervisor get "$sub_id"
expect_cli "an identity key on supervisor verbs is 403" 3 '"(403 forbidden)" in err' -- \
  env CREDVAULT_PLATFORM_KEY="$KEY" $cli supervisor list
expect_cli "platform-key list shows key ids, never keys" 0 "'keyId' in out and 'mgpk-' not in out" -- \
  $cli platform-key list --table "$table" org_e2e
unset CREDVAULT_PLATFORM_KEY
if ! grep -qF "${platform_key#mgpk-}" "$log"; then pass "no platform key in the logs"; else fail "a platform key in $log"; fi

source scripts/e2e-broker.sh
source scripts/e2e-links.sh

# Every answer checked against openapi.yaml by schemathesis, as an identity of its own (it
# stores and deletes credentials), with two seeds: the spec must hold for any, not only for
# the one it was written against. SCHEMATHESIS_SEEDS runs others (docs/development.md).
fuzz_key=$($cli identity create --table "$table" --name schemathesis 2>/dev/null | json_field apiKey)
fuzz_platform=$($cli platform-key create --table "$table" --org org_schemathesis 2>/dev/null | json_field platformKey)
for seed in ${SCHEMATHESIS_SEEDS:-1 2}; do
  log=$LOG_DIR/schemathesis-$seed.log
  if SCHEMATHESIS_SEED=$seed BASE=$BASE KEY=$fuzz_key PLATFORM_KEY=$fuzz_platform scripts/schemathesis.sh >"$log" 2>&1; then
    pass "schemathesis (seed $seed): every answer matches openapi.yaml"
  else
    fail "schemathesis (seed $seed): see below"; tail -n 60 "$log"
    echo "--- the API's log, last lines (access lines carry no secret) ---"; tail -n 40 "$LOG_DIR/api.log"
  fi
done

echo "e2e: $passed passed, $failed failed"
(( failed == 0 ))
