#!/usr/bin/env bash
# `make dev`: the whole service on loopback. moto server plays KMS and DynamoDB over their
# real wire protocols; `cargo lambda watch` plays API Gateway and the Lambda runtime.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

PORT=${PORT:-9000}
EMULATOR_PORT=${EMULATOR_PORT:-5055}
TABLE_NAME=${TABLE_NAME:-credvault-dev}
KMS_ALIAS=${KMS_ALIAS:-alias/credvault-dev}
export_local_aws "$EMULATOR_PORT"

for port in "$PORT" "$EMULATOR_PORT"; do
  if port_in_use "$port"; then
    echo "make dev: port $port on 127.0.0.1 is taken; set PORT / EMULATOR_PORT to free ones" >&2
    exit 1
  fi
done

# Logs live outside the source tree so that writing them never triggers a rebuild.
LOG_DIR=${LOG_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/credvault-dev.XXXXXX")}
pids=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "make dev: stopped (logs kept in $LOG_DIR)"
}
trap cleanup EXIT INT TERM

start_moto "$EMULATOR_PORT" "$LOG_DIR/moto.log"
pids+=("$MOTO_PID")

echo "make dev: building the CLI (a first build compiles the AWS SDK: a few minutes)"
cargo build --quiet --bin credvault
credvault=${CARGO_TARGET_DIR:-target}/debug/credvault
local_stack "$credvault" "$TABLE_NAME" "$KMS_ALIAS"

# DEV_RELOAD=0 (set by make e2e) serves one build throughout: a file written into the tree
# mid-run (by a test tool, an editor) would otherwise restart the function under a request.
reload_flag=()
[[ ${DEV_RELOAD:-1} == 0 ]] && reload_flag=(--ignore-changes)
# BROKER_TEST_UPSTREAMS (loopback ip:port pairs that brokered requests may reach over plain
# HTTP, for a test's local upstream) goes through from this environment, in a file: its
# commas would split --env-var.
env_file=$LOG_DIR/function.env
printf 'BROKER_TEST_UPSTREAMS=%s\n' "${BROKER_TEST_UPSTREAMS:-}" >"$env_file"
cargo lambda watch --quiet "${reload_flag[@]}" -A 127.0.0.1 -P "$PORT" --bin credvault-api \
  --env-file "$env_file" \
  --env-var "TABLE_NAME=$TABLE_NAME,KMS_KEY_ID=$KMS_ALIAS,AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL,AWS_REGION=$AWS_REGION,AWS_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID,AWS_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY,RUST_LOG=${RUST_LOG:-info},RATE_LIMIT_PER_MINUTE=${RATE_LIMIT_PER_MINUTE:-200},LOG_RETENTION_DAYS=${LOG_RETENTION_DAYS:-90},PRINCIPAL_CACHE_SECONDS=${PRINCIPAL_CACHE_SECONDS:-30},PUBLIC_BASE_URL=http://127.0.0.1:$PORT" \
  >"$LOG_DIR/api.log" 2>&1 &
pids+=("$!")

echo "make dev: compiling and starting the API on 127.0.0.1:$PORT (log: $LOG_DIR/api.log)"
wait_for_http "http://127.0.0.1:$PORT/v0/vault/ready" 900 "${pids[-1]}" || {
  echo "make dev: the API did not come up; see $LOG_DIR/api.log" >&2
  tail -n 30 "$LOG_DIR/api.log" >&2
  exit 1
}

cat <<MSG

credvault is running.
  base URL   http://127.0.0.1:$PORT
  API key    $API_KEY   (identity $(json_field identityId <<<"$IDENTITY"), vault:read + vault:write)
  platform   $PLATFORM_KEY   (organisation $(json_field orgId <<<"$PLATFORM"): makes identities)
  AWS        moto at $AWS_ENDPOINT_URL, table $TABLE_NAME, key $KMS_ALIAS ($(json_field kmsKeyArn <<<"$SETUP"))
  logs       $LOG_DIR

Operator verbs (identity, platform-key; docs/cli.md) on this stack, from a shell of its own
(the line points the AWS SDK at moto):
  export TABLE_NAME=$TABLE_NAME KMS_KEY_ID=$KMS_ALIAS AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL AWS_REGION=$AWS_REGION AWS_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY
  $credvault identity create --name my-agent

Try:
  curl -X PUT http://127.0.0.1:$PORT/v0/vault/stripe \\
    -H "Authorization: Bearer $API_KEY" \\
    -H "Content-Type: application/json" \\
    -d '{"type":"API_KEY","data":{"key":"sk_live_abc123..."},"metadata":{"service":"stripe","prefix":"sk_live_...c123"}}'
  curl -H "Authorization: Bearer $API_KEY" http://127.0.0.1:$PORT/v0/vault/stripe

Ask a person for a credential (they open the answer's url and type it in):
  curl -X POST http://127.0.0.1:$PORT/v0/credential-requests \\
    -H "Authorization: Bearer $API_KEY" \\
    -d '{"name":"openai","type":"API_KEY","fields":[{"name":"key","label":"OpenAI API key"}]}'

MCP (Streamable HTTP) at http://127.0.0.1:$PORT/mcp, for example:
  claude mcp add --transport http credvault http://127.0.0.1:$PORT/mcp \\
    --header "Authorization: Bearer $API_KEY"
  Cursor (.cursor/mcp.json): {"mcpServers": {"credvault": {"url": "http://127.0.0.1:$PORT/mcp",
    "headers": {"Authorization": "Bearer $API_KEY"}}}}
  Claude Desktop: see "MCP" in README.md (it bridges to a URL with npx mcp-remote)

Or with the CLI:
  export CREDVAULT_API_URL=http://127.0.0.1:$PORT CREDVAULT_API_KEY=$API_KEY CREDVAULT_PLATFORM_KEY=$PLATFORM_KEY
  $credvault vault list
  $credvault supervisor create --name researcher --scopes vault:read

Ctrl-C stops everything this started.
MSG

wait "${pids[@]}"
