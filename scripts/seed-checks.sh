# shellcheck shell=bash
# Sourced by e2e.sh and sam-local.sh: the seed's curl examples and /mcp against one running
# stack, so that `make test` and `sam local` are checked by the same requests.

passed=0 failed=0
pass() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; }
# expect NAME STATUS GOT FILE [PYTHON CHECK]: compares the status, then runs a Python
# expression over the parsed body `b`.
expect() {
  local name=$1 want=$2 got=$3 body=$4 check=${5:-True}
  if [[ $got == "$want" ]] && python -c "import json,sys; b=json.load(open(sys.argv[1])); sys.exit(0 if ($check) else 1)" "$body" 2>/dev/null; then
    pass "$name"
  else
    fail "$name: status $got, want $want: $(head -c 400 "$body")"
  fi
}

# call BODY-FILE CURL-ARGS...: prints the status, 000 when nothing answered in time; never
# fails the script that sourced this (set -e): a dead stack is a FAIL line, not a silent exit.
call() {
  local out=$1
  shift
  curl -s --max-time 60 -o "$out" -w '%{http_code}' "$@" || true
}

# seed_checks BASE KEY BODY-FILE: stores the seed's three examples (verbatim but for the host
# and the key), reads one back, asks for a TOTP code, and speaks MCP to /mcp.
seed_checks() {
  local base=$1 key=$2 out=$3 status
  status=$(call "$out" -X PUT "$base/v0/vault/stripe" \
    -H "Authorization: Bearer $key" \
    -H "Content-Type: application/json" \
    -d '{
      "type": "API_KEY",
      "data": { "key": "sk_live_abc123..." },
      "metadata": { "service": "stripe", "prefix": "sk_live_...c123" }
    }')
  expect "seed: store an API key" 200 "$status" "$out" \
    'b["name"] == "stripe" and b["type"] == "API_KEY" and b["credentialId"].startswith("cred_") and b["metadata"]["prefix"] == "sk_live_...c123" and "data" not in b'

  status=$(call "$out" -X PUT "$base/v0/vault/github" \
    -H "Authorization: Bearer $key" \
    -H "Content-Type: application/json" \
    -d '{
      "type": "LOGIN",
      "data": { "password": "s3cret!" },
      "metadata": { "uri": "https://github.com", "username": "agent-bot" }
    }')
  expect "seed: store a login" 200 "$status" "$out" 'b["type"] == "LOGIN" and b["expiresAt"] is None'

  status=$(call "$out" -X PUT "$base/v0/vault/github-2fa" \
    -H "Authorization: Bearer $key" \
    -H "Content-Type: application/json" \
    -d '{
      "type": "TOTP",
      "data": { "secret": "JBSWY3DPEHPK3PXP" },
      "metadata": { "issuer": "GitHub", "account": "agent-bot" }
    }')
  expect "seed: store a TOTP secret" 200 "$status" "$out" 'b["createdAt"].endswith("Z")'

  status=$(call "$out" "$base/v0/vault/stripe" -H "Authorization: Bearer $key")
  expect "read it back, decrypted" 200 "$status" "$out" 'b["data"]["key"] == "sk_live_abc123..."'
  status=$(call "$out" "$base/v0/vault/github-2fa/totp" -H "Authorization: Bearer $key")
  expect "a TOTP code" 200 "$status" "$out" 'len(b["code"]) == 6 and b["code"].isdigit()'
  status=$(call "$out" -X PUT "$base/v0/vault/stripe" -d '{}')
  expect "no key is 401" 401 "$status" "$out" \
    'b == {"error": "unauthorized", "message": "Missing or invalid Authorization header", "status": 401}'
  status=$(call "$out" "$base/v0/nowhere" -H "Authorization: Bearer $key")
  expect "an unknown path reaches the function (404 in its envelope)" 404 "$status" "$out" 'b["status"] == 404'

  # /mcp: MCP's Streamable HTTP, stateless, JSON answers.
  status=$(seed_mcp "$base" "$key" "$out" '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"curl","version":"0"}}}')
  expect "/mcp initialize" 200 "$status" "$out" 'b["result"]["protocolVersion"] == "2025-06-18"'
  status=$(seed_mcp "$base" "$key" "$out" '{"jsonrpc":"2.0","id":2,"method":"tools/list"}')
  expect "/mcp tools/list" 200 "$status" "$out" '{"vault_get", "vault_store", "vault_list"} <= {t["name"] for t in b["result"]["tools"]}'
  status=$(seed_mcp "$base" "$key" "$out" '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"vault_get","arguments":{"name":"stripe"}}}')
  expect "/mcp tools/call vault_get" 200 "$status" "$out" \
    'not b["result"].get("isError") and b["result"]["structuredContent"]["data"]["key"] == "sk_live_abc123..."'
}

# seed_mcp BASE KEY BODY-FILE MESSAGE: one JSON-RPC message to /mcp; prints the status.
seed_mcp() {
  call "$3" -X POST "$1/mcp" -H "Authorization: Bearer $2" \
    -H "Content-Type: application/json" -H "Accept: application/json, text/event-stream" \
    -H "MCP-Protocol-Version: 2025-06-18" -d "$4"
}
