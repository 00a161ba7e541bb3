# Brokered use against `make dev`, sourced by scripts/e2e.sh (its helpers, $BASE, $KEY, the
# local upstream at $UPSTREAM). The run is inside a loopback-only network namespace
# (scripts/netns.sh), so even a refused destination that got through would reach nothing.
BROKER_SECRET="sk_live_brokered_$(python -c 'import secrets; print(secrets.token_hex(8))')"
status=$(curl -s -o "$out" -w '%{http_code}' -X PUT $BASE/v0/vault/upstream -H "Authorization: Bearer $KEY" \
  -d "{\"type\":\"API_KEY\",\"data\":{\"key\":\"$BROKER_SECRET\"},\"usePolicy\":{\"hosts\":[\"$UPSTREAM\"],\"pathPrefixes\":[\"/v1/\"]}}")
expect "broker: store a key with a usePolicy" 200 "$status" "$out" "b['usePolicy']['hosts'] == ['$UPSTREAM']"

status=$(curl -s -o "$out" -w '%{http_code}' -X POST $BASE/v0/vault/upstream/request -H "Authorization: Bearer $KEY" \
  -d "{\"method\":\"POST\",\"url\":\"http://$UPSTREAM/v1/echo?k={{data.key}}\",\"headers\":{\"Authorization\":\"Bearer {{data.key}}\"},\"body\":\"key={{data.key}}\"}")
expect "broker: the upstream's echo comes back with placeholders only" 200 "$status" "$out" \
  "b['status'] == 200 and b['headers']['x-echo-authorization'] == 'Bearer {{data.key}}' and '$BROKER_SECRET' not in open(sys.argv[1]).read() and set(__import__('json').loads(b['body'])['forms'].values()) == {'{{data.key}}'}"
if grep -qF "Bearer $BROKER_SECRET" "$RECEIVED_FILE" && grep -qF "k=$BROKER_SECRET" "$RECEIVED_FILE"; then
  pass "broker: the upstream received the secret"
else
  fail "broker: the upstream did not receive the secret"
fi

for refused in "http://$UPSTREAM/v2/x" "http://169.254.169.254/latest/meta-data/" "https://example.com/v1/"; do
  status=$(curl -s -o "$out" -w '%{http_code}' -X POST $BASE/v0/vault/upstream/request -H "Authorization: Bearer $KEY" \
    -d "{\"method\":\"GET\",\"url\":\"$refused\"}")
  expect "broker: $refused is refused" 403 "$status" "$out" "b['error'] == 'forbidden'"
done

status=$(curl -s -o "$out" -w '%{http_code}' "$BASE/v0/logs?action=vault_http" -H "Authorization: Bearer $KEY")
expect "broker: recorded with method, host and upstream status, never a value" 200 "$status" "$out" \
  "any('POST to 127.0.0.1, upstream answered 200' in e['description'] for e in b['logs']) and '$BROKER_SECRET' not in open(sys.argv[1]).read() and 'echo?k' not in open(sys.argv[1]).read()"

if CREDVAULT_API_URL=$BASE CREDVAULT_API_KEY=$KEY UPSTREAM=$UPSTREAM SECRET="${BROKER_SECRET}_mcp" RECEIVED_FILE=$RECEIVED_FILE \
  python tests/broker/mcp_broker.py >"$LOG_DIR/mcp_broker.out" 2>&1; then
  pass "broker: an MCP client's vault_http never sees the secret"
else
  fail "broker: mcp client"; cat "$LOG_DIR/mcp_broker.out"
fi
if ! grep -qF "$BROKER_SECRET" "$LOG_DIR/api.log"; then pass "broker: no brokered secret in the logs"; else fail "broker: a secret in $LOG_DIR/api.log"; fi
