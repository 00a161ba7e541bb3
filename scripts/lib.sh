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

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
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

# Starts moto server on 127.0.0.1:$1, logging to $2; sets MOTO_PID. (scripts/moto_server.py:
# moto with two timing fixes, Nagle's algorithm and a transaction's rollback copy.)
start_moto() {
  python scripts/moto_server.py -H 127.0.0.1 -p "$1" >"$2" 2>&1 &
  MOTO_PID=$!
  wait_for_http "http://127.0.0.1:$1/moto-api/" 60 "$MOTO_PID" || {
    echo "moto server did not start; see $2" >&2
    return 1
  }
}

# Reads one top-level string field from a JSON object on stdin.
json_field() {
  python -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}
