#!/usr/bin/env bash
# Creates the project venv ($1) and installs the requirements file ($2) into it.
set -euo pipefail
venv=$1 requirements=$2
python=$(command -v python3 || true)
[[ -n $python ]] || { echo "python3 is required (3.9 or newer)" >&2; exit 1; }
if ! "$python" -m venv "$venv" 2>/dev/null; then
  # Debian and Ubuntu ship venv separately.
  if command -v apt-get >/dev/null && [[ $(id -u) == 0 ]]; then
    apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
    "$python" -m venv "$venv"
  else
    echo "python3 cannot create a venv: install python3-venv (Debian/Ubuntu) and retry" >&2
    exit 1
  fi
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet -r "$requirements"
echo "venv ready: $venv ($requirements)"
