"""Per-minute budgets shared by every API process. Owns the `rl:{subject}:{bucket}` keys.

Each budget is a GCRA (the generic cell rate algorithm, as in redis-cell): one key holds the
theoretical arrival time of the next request, so a budget costs one small string, refills
smoothly instead of at minute boundaries, and allows a burst of the whole budget. Time comes
from Redis itself, so API processes with skewed clocks still share one budget.

A subject is `u:{user id}` or `ip:{address}`; all of a subject's buckets share its hash tag,
so one script checks them together on one Redis Cluster slot.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from services.foundation.turn_batch import TurnBatch

if TYPE_CHECKING:
    from collections.abc import Mapping

    import redis.asyncio as aioredis

WINDOW_S = 60


class Bucket(Enum):
    READ = "read"  # queries and subscriptions by a signed-in user
    ANON = "anon"  # anything by an anonymous client, per IP address
    POST = "post"
    LIKE = "like"
    COMMENT = "comment"
    FOLLOW = "follow"
    ACCOUNT = "account"  # sign-up and sign-in per IP address, profile changes per user
    UPLOAD = "upload"
    REPORT = "report"  # reports of posts and people, per user


DEFAULT_BUDGETS: dict[Bucket, int] = {
    Bucket.READ: 1200,
    Bucket.ANON: 300,
    Bucket.POST: 30,
    Bucket.LIKE: 300,
    Bucket.COMMENT: 60,
    Bucket.FOLLOW: 120,
    Bucket.ACCOUNT: 20,
    Bucket.UPLOAD: 60,
    Bucket.REPORT: 10,
}

# KEYS: one per bucket. ARGV: window in ms, then (budget, units) per key.
# All buckets are checked before any is charged, so a refused request costs nothing.
# Returns {allowed, retry_after_ms, then (remaining, reset_ms) per key}.
_CHARGE = """
local window = tonumber(ARGV[1])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local arrivals = {}
local retry = 0
for i = 1, #KEYS do
  local budget, units = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
  local interval = window / budget
  local tat = math.max(tonumber(redis.call('GET', KEYS[i]) or '0'), now)
  local arrival = tat + units * interval
  if arrival - now > window then
    retry = math.max(retry, arrival - now - window)
  end
  arrivals[i] = math.floor(arrival)
end
local result = {retry == 0 and 1 or 0, math.ceil(retry)}
for i = 1, #KEYS do
  local budget = tonumber(ARGV[2 * i])
  local interval = window / budget
  local arrival = arrivals[i]
  if retry == 0 then
    redis.call('SET', KEYS[i], arrival, 'PX', math.ceil(arrival - now) + 1)
  else
    arrival = math.max(tonumber(redis.call('GET', KEYS[i]) or '0'), now)
  end
  result[#result + 1] = math.max(0, math.floor((window - (arrival - now)) / interval))
  result[#result + 1] = math.ceil(arrival - now)
end
return result
"""


def parse_budgets(spec: str) -> dict[Bucket, int] | None:
    """`RATE_LIMITS`: overrides like 'read=600,post=30'; 'off' turns limiting off (None)."""
    if spec.strip().lower() == "off":
        return None
    budgets = dict(DEFAULT_BUDGETS)
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, _, value = item.partition("=")
        try:
            bucket = Bucket(name.strip().lower())
        except ValueError:
            known = ", ".join(b.value for b in Bucket)
            raise ValueError(f"RATE_LIMITS: unknown bucket {name!r} (known: {known})") from None
        if not value.strip().isdigit() or int(value) < 1:
            raise ValueError(f"RATE_LIMITS: {name} needs a whole number of requests per minute")
        budgets[bucket] = int(value)
    return budgets


def budget_key(subject: str, bucket: Bucket) -> str:
    return f"rl:{{{subject}}}:{bucket.value}"


@dataclass(frozen=True, slots=True)
class BucketState:
    bucket: Bucket
    budget: int
    remaining: int
    reset_s: int  # seconds until the bucket is full again


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    retry_after_s: int
    states: tuple[BucketState, ...]

    @property
    def tightest(self) -> BucketState | None:
        """The bucket closest to running out, which the response headers describe."""
        return min(self.states, key=lambda s: (s.remaining / s.budget, s.remaining), default=None)


class RateLimiter:
    def __init__(
        self, redis: aioredis.Redis, budgets: Mapping[Bucket, int] | None, *, turns: TurnBatch | None = None
    ) -> None:
        self.budgets = dict(budgets) if budgets is not None else None
        # The charges of one event-loop turn go out as one pipeline
        self._charges = turns or TurnBatch(redis)
        self._charge = redis.register_script(_CHARGE)

    @property
    def enabled(self) -> bool:
        return self.budgets is not None

    async def ensure_indexes(self) -> None:
        """Redis only."""

    async def charge(self, subject: str, units: Mapping[Bucket, int]) -> Verdict:
        """Take `units` from each bucket of `subject`, all or nothing."""
        if self.budgets is None or not units:
            return Verdict(allowed=True, retry_after_s=0, states=())
        buckets = sorted(units, key=lambda b: b.value)
        args: list[int] = [WINDOW_S * 1000]
        for bucket in buckets:
            args += [self.budgets[bucket], units[bucket]]
        raw = await self._charges.script(self._charge, [budget_key(subject, b) for b in buckets], args)
        allowed, retry_ms = int(raw[0]), int(raw[1])
        states = tuple(
            BucketState(
                bucket=bucket,
                budget=self.budgets[bucket],
                remaining=int(raw[2 + 2 * i]),
                reset_s=math.ceil(int(raw[3 + 2 * i]) / 1000),
            )
            for i, bucket in enumerate(buckets)
        )
        retry_after_s = 0 if allowed else max(1, math.ceil(retry_ms / 1000))
        return Verdict(allowed=bool(allowed), retry_after_s=retry_after_s, states=states)
