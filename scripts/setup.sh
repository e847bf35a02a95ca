#!/usr/bin/env bash
# Set up leds on a fresh machine: a virtual environment in .venv with leds and
# its development tools installed.  Needs only Python 3.11+.  Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
  echo "error: leds needs Python 3.11 or newer (found: $("$PYTHON" --version 2>&1 || echo none))" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv" >&2
  "$PYTHON" -m venv .venv
fi
# Reinstall only when the project's requirements changed since the last setup.
stamp=.venv/.leds-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing leds and its tools into .venv" >&2
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e '.[dev]'
  touch "$stamp"
fi
echo "setup: ready ($(.venv/bin/leds --help >/dev/null && echo 'leds command OK'))" >&2
