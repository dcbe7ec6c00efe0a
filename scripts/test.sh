#!/usr/bin/env bash
# Lint, type-check, check the import layers, and test. Assumes scripts/bootstrap.sh has run.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"

echo "==> ruff" >&2
ruff check .
ruff format --check .
echo "==> mypy" >&2
mypy
echo "==> import-linter (layers: docs/architecture.md)" >&2
lint-imports
echo "==> pytest" >&2
exec pytest "$@"
