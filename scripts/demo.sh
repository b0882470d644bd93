#!/usr/bin/env bash
# One command from a fresh clone: install, index the sample articles, answer the canonical
# question. `bash scripts/demo.sh "your question"` asks something else.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
question="${1:-What did Peskov say about timelines?}"
.venv/bin/rag index build
.venv/bin/rag ask "$question"
