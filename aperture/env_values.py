"""Environment variables as typed values: a variable takes its setting's default's type."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def parse_env_value(default: Any, raw: str, name: str) -> Any:
    if isinstance(default, bool):
        if raw.lower() in {"1", "true", "yes", "on"}:
            return True
        if raw.lower() in {"0", "false", "no", "off"}:
            return False
        raise ValueError(f"{name} must be a boolean, got {raw!r}")
    if isinstance(default, float):
        try:
            return float(raw)
        except ValueError:
            raise ValueError(f"{name} must be a number, got {raw!r}") from None
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise ValueError(f"{name} must be an integer, got {raw!r}") from None
    if isinstance(default, Path):
        return Path(raw)
    return raw
