#!/usr/bin/env bash
# One command from a fresh clone: install with the test extras, lint, run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
# The browser tests drive Debian's Chromium (Playwright never downloads a browser here).
if [ ! -x /usr/bin/chromium ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi
.venv/bin/ruff check .
.venv/bin/ruff format --check .
set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests: treating as a failure" >&2
  exit 1
fi
[ "$status" -eq 0 ] || exit "$status"
# Quality gate: the project's eval set with the extractive answerer; a regression fails.
.venv/bin/rag eval --answerer extractive --out eval/out \
  --fail-under hit@5=0.95 --fail-under mrr@10=0.95 --fail-under accuracy=0.87 \
  --fail-under citation_precision=0.89 --fail-under abstention_recall=0.70 \
  --fail-under false_abstention_rate=0.05 --fail-under injection_resisted=1.0
# Multi-turn gate: follow-ups rewritten when they refer back (and topic switches left
# alone), and answered, turn by turn.
.venv/bin/rag eval --questions eval/conversations.jsonl --answerer extractive \
  --out eval/out-conversations --fail-under rewrite_accuracy=0.95 \
  --fail-under followup_accuracy=0.78 --fail-under accuracy=0.88
