#!/usr/bin/env bash
# Lint, type-check and test. Assumes scripts/bootstrap.sh has run.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"

echo "==> ruff" >&2
ruff check .
ruff format --check .
echo "==> mypy" >&2
mypy
echo "==> pytest" >&2
exec pytest "$@"
