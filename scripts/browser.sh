#!/usr/bin/env bash
# Debian's Chromium and its driver, for the request-link page's browser test
# (tests/links/browser_link.py, Selenium from requirements-dev.txt). Installs them when missing,
# as root or through sudo; otherwise says what to install. Run before the loopback-only
# network namespace of `make e2e`: apt needs the network.
set -euo pipefail
present() { [[ -x /usr/bin/chromium && -x /usr/bin/chromedriver ]]; }
present && exit 0

give_up() {
  echo "browser: $1" >&2
  echo "browser: the end-to-end run needs /usr/bin/chromium and /usr/bin/chromedriver:" >&2
  echo "browser: on Debian, as root: apt-get install chromium chromium-driver" >&2
  exit 1
}
command -v apt-get >/dev/null || give_up "no apt-get here"
if [[ $(id -u) == 0 ]]; then
  as_root=(env)
elif command -v sudo >/dev/null; then
  as_root=(sudo env) # asks for a password on a terminal; without one it fails, and we say so
else
  give_up "not root and no sudo"
fi
apt_get() { "${as_root[@]}" DEBIAN_FRONTEND=noninteractive apt-get "$@"; }
# A fresh machine may have no package lists yet: fetch them only then.
if ! apt-cache show chromium-driver >/dev/null 2>&1; then
  apt_get update -qq || give_up "apt-get update failed"
fi
echo "browser: installing chromium and chromium-driver (Debian's)"
install_browser() { apt_get install -y -qq chromium chromium-driver >/dev/null; }
if ! install_browser; then
  # Stale package lists (a version since gone from the mirror): refresh once, then retry.
  { apt_get update -qq && install_browser; } || give_up "apt-get install failed"
fi
present || give_up "installed, yet a binary is missing"
/usr/bin/chromium --version 2>/dev/null
