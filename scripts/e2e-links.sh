# Request links against `make dev`, sourced by scripts/e2e.sh (its pass/fail helpers, $BASE,
# $KEY, $LOG_DIR): a person fills the link's page in headless Chromium (tests/links/
# browser_link.py), and an MCP client asks for a secret and sees it arrive (mcp_request.py).
# Each script prints its own ok/FAIL lines; here each counts once, as the sdk/mcp ones do.
LINK_SHOTS=$(mktemp -d "${TMPDIR:-/tmp}/credvault-link-shots.XXXXXX")
if CREDVAULT_API_URL=$BASE CREDVAULT_API_KEY=$KEY SCREENSHOT_DIR=$LINK_SHOTS \
  python tests/links/browser_link.py 2>&1 | tee "$LOG_DIR/browser_link.out"; then
  pass "links: a person fills a request link in a browser"
else
  fail "links: browser (see $LOG_DIR/browser_link.out)"
fi
if CREDVAULT_API_URL=$BASE CREDVAULT_API_KEY=$KEY \
  python tests/links/mcp_request.py 2>&1 | tee "$LOG_DIR/mcp_request.out"; then
  pass "links: an MCP client's vault_request is fulfilled by its link"
else
  fail "links: mcp client (see $LOG_DIR/mcp_request.out)"
fi
# The screenshots are kept with the run's logs, for a person to look at.
for shot in "$LINK_SHOTS"/*.png; do
  [[ -e $shot ]] || continue
  cp "$shot" "$LOG_DIR/"
  echo "links: screenshot $LOG_DIR/$(basename "$shot")"
done
rm -rf "$LINK_SHOTS"
