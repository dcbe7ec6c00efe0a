"""Decayed sums kept in log space, so that a signal costs nothing while nobody reads it.

A decayed sum S(t) = sum of w * 2^(-(t - t_i) / H) over events i is stored as
L = log2(sum of w * 2^((t_i - E) / H)), with E a fixed epoch. An event at t adds
w * 2^((t - E) / H) in log space, and a reader computes S(now) = 2^(L - (now - E) / H).
Nothing is rewritten to decay. Every stored value decays at the same rate, so ordering by L
orders by current value: trimming the lowest scores keeps the strongest signals.
"""

from __future__ import annotations

import math

from services.foundation.ids import EPOCH_MS

EPOCH_S = EPOCH_MS / 1000
_MAX_EXPONENT = 64.0

# Lua helpers for the writers: `combine(old, x, sign)` adds (sign 1) or takes away (sign -1)
# the log-space term x from the log-space value old (nil when absent). Taking away more than
# there is leaves nothing (nil): a decayed sum never goes below zero.
LUA_COMBINE = """
local function log2(x) return math.log(x) / math.log(2) end
local function combine(old, x, sign)
  if sign > 0 then
    if not old then return x end
    local hi, lo = math.max(old, x), math.min(old, x)
    return hi + log2(1 + 2 ^ (lo - hi))
  end
  if not old or x >= old - 1e-9 then return nil end
  return old + log2(1 - 2 ^ (x - old))
end
"""


def log_term(weight: float, at_s: float, half_life_s: float) -> float:
    """The log-space value of one event of `weight` at `at_s`."""
    return math.log2(weight) + (at_s - EPOCH_S) / half_life_s


def current_value(log_value: float | None, now_s: float, half_life_s: float) -> float:
    """The decayed sum at `now_s` of a stored log-space value (0 when nothing is stored)."""
    if log_value is None:
        return 0.0
    # Capped, so that a reader whose clock is far behind the writer's cannot overflow
    return float(2.0 ** min(log_value - (now_s - EPOCH_S) / half_life_s, _MAX_EXPONENT))
