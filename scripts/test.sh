#!/usr/bin/env bash
# Set up, then run every check: lint, types, and the whole test suite against
# real SQLite and PostgreSQL (the suite starts PostgreSQL if it is not running).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "== ruff" >&2
.venv/bin/ruff check src tests bench
echo "== mypy" >&2
.venv/bin/mypy
echo "== pytest" >&2
.venv/bin/python -m pytest -p no:cacheprovider "$@"
