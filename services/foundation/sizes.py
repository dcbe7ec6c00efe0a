"""Byte counts in the units people read."""

from __future__ import annotations

_UNITS = ("bytes", "KB", "MB", "GB", "TB")
_STEP = 1024


def human_size(size: int) -> str:
    """31457280 -> "30 MB"; binary steps, as the limits are set, one decimal below 10.

    Args:
        size: a number of bytes.
    """
    value = float(size)
    unit = 0
    while value >= _STEP and unit < len(_UNITS) - 1:
        value /= _STEP
        unit += 1
    text = f"{value:.0f}" if unit == 0 or value >= 10 else f"{value:.1f}".removesuffix(".0")  # noqa: PLR2004
    return f"{text} {_UNITS[unit]}"
