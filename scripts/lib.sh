# Shared by the dev and test scripts: local AWS settings, moto, and small waits.

# The project's tools (moto, cargo-lambda) live in its own venv.
export PATH="$PWD/.venv/bin:$PATH"

# Point every AWS SDK at moto on loopback with dummy credentials.
export_local_aws() {
  export AWS_ENDPOINT_URL="http://127.0.0.1:$1"
  export AWS_REGION=${AWS_REGION:-us-east-1}
  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
  unset AWS_PROFILE AWS_SESSION_TOKEN
}

# port_in_use PORT [HOST]: something listens there (HOST defaults to 127.0.0.1).
port_in_use() {
  (exec 3<>"/dev/tcp/${2:-127.0.0.1}/$1") 2>/dev/null
}

# Polls until the URL answers with any HTTP status, for up to $2 seconds, giving up early if
# the process $3 (optional) has exited.
wait_for_http() {
  local url=$1 deadline=$((SECONDS + $2)) pid=${3:-}
  until curl -s -o /dev/null --max-time 5 "$url"; do
    (( SECONDS < deadline )) || return 1
    [[ -z $pid ]] || kill -0 "$pid" 2>/dev/null || return 1
    sleep 1
  done
}

# Starts moto server on ${3:-127.0.0.1}:$1, logging to $2; sets MOTO_PID.
# (scripts/moto_server.py: moto with its timing and atomicity fixes.)
start_moto() {
  local host=${3:-127.0.0.1}
  python scripts/moto_server.py -H "$host" -p "$1" >"$2" 2>&1 &
  MOTO_PID=$!
  wait_for_http "http://$host:$1/moto-api/" 60 "$MOTO_PID" || {
    echo "moto server did not start; see $2" >&2
    return 1
  }
}

# Reads one top-level string field from a JSON object on stdin.
json_field() {
  python -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}

# local_stack CLI TABLE KMS-ALIAS: the table, the KMS key and the first keys on moto, as
# make dev and sam-local make them. Sets SETUP, IDENTITY, API_KEY, PLATFORM and PLATFORM_KEY
# (the CLI's JSON, and the keys in it); CREDVAULT_API_KEY / CREDVAULT_PLATFORM_KEY pin keys.
local_stack() {
  local cli=$1 table=$2 alias=$3
  SETUP=$("$cli" setup-local --table "$table" --kms-alias "$alias")
  IDENTITY=$("$cli" identity create --table "$table" --kms-key "$alias" --name dev ${CREDVAULT_API_KEY:+--with-key "$CREDVAULT_API_KEY"})
  API_KEY=$(json_field apiKey <<<"$IDENTITY")
  # A platform key of its own organisation: an orchestrator's, making identities for sub-agents.
  PLATFORM=$("$cli" platform-key create --table "$table" --kms-key "$alias" ${CREDVAULT_PLATFORM_KEY:+--with-key "$CREDVAULT_PLATFORM_KEY"})
  PLATFORM_KEY=$(json_field platformKey <<<"$PLATFORM")
}
