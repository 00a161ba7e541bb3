#!/usr/bin/env bash
# Creates the project venv ($1) and installs the requirements file ($2) into it.
set -euo pipefail
venv=$1 requirements=$2
# schemathesis and the MCP client need Python 3.11 or newer: take the first such interpreter
# ($PYTHON if set), and say so plainly rather than fail half-way through pip.
python=""
for candidate in ${PYTHON:-} python3 python3.14 python3.13 python3.12 python3.11; do
  path=$(command -v "$candidate" 2>/dev/null) || continue
  if "$path" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    python=$path
    break
  fi
done
if [[ -z $python ]]; then
  echo "Python 3.11 or newer is required (found: $(python3 --version 2>&1 || echo none))." >&2
  echo "Install one (your package manager, pyenv, or 'uv python install 3.12') and rerun," >&2
  echo "with PYTHON=/path/to/python3.x if it is not first on PATH." >&2
  exit 1
fi
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
