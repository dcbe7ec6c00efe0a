"""Failed sign-ins per username, shared by every API process.

Owns the `signin:{digest}:failures` and `signin:{digest}:known` keys (one hash tag per
username, so each script touches one Redis Cluster slot).

The per-address `account` budget bounds how fast one address guesses; this bounds how many
passwords are checked for one username from any number of addresses. Once `limit` attempts
have failed within `window_s` of the first, further attempts from new addresses are refused,
without checking the password, until that window ends: the lock is bounded in time. Addresses
that signed up or signed in to the account before (remembered for 30 days) are never locked
out, so an attacker who keeps the lock closed does not keep the owner out.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
from typing import TYPE_CHECKING

from services.accounts.users import normalize_username
from services.foundation.errors import DomainError, ErrorCode

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import redis.asyncio as aioredis

KNOWN_ADDRESS_TTL_S = 30 * 24 * 3600
_MAX_KNOWN_ADDRESSES = 32

# KEYS: failures, known addresses. ARGV: limit, window in ms, address digest.
# Returns -1 for a known address (nothing reserved), 0 for a reserved attempt, or the
# milliseconds until the lock ends.
_RESERVE = """
if redis.call('SISMEMBER', KEYS[2], ARGV[3]) == 1 then
  return -1
end
local failures = redis.call('INCR', KEYS[1])
if failures == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
if failures > tonumber(ARGV[1]) then
  redis.call('DECR', KEYS[1])
  return math.max(redis.call('PTTL', KEYS[1]), 1)
end
return 0
"""
# An attempt that did not fail gives its reservation back, unless the window ended meanwhile
_RELEASE = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('DECR', KEYS[1])
end
"""


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def failures_key(username: str) -> str:
    return f"signin:{{{_digest(normalize_username(username))}}}:failures"


def known_key(username: str) -> str:
    return f"signin:{{{_digest(normalize_username(username))}}}:known"


class SignInFailures:
    def __init__(self, redis: aioredis.Redis, *, limit: int, window_s: int) -> None:
        self._redis = redis
        self._limit = limit
        self._window_ms = window_s * 1000
        self._reserve = redis.register_script(_RESERVE)
        self._release = redis.register_script(_RELEASE)

    async def ensure_indexes(self) -> None:
        """Redis only."""

    @contextlib.asynccontextmanager
    async def attempt(self, username: str, address: str) -> AsyncIterator[None]:
        """Wraps one sign-in: refuses it (RATE_LIMITED on `username`) while the username is locked
        for this address, and counts it as a failure if it raises INVALID_CREDENTIALS."""
        keys = [failures_key(username), known_key(username)]
        outcome = int(await self._reserve(keys=keys, args=[self._limit, self._window_ms, _digest(address)]))
        if outcome > 0:
            raise DomainError(
                ErrorCode.RATE_LIMITED,
                f"too many failed sign-ins for this username: try again in {math.ceil(outcome / 1000)} s",
                "username",
            )
        reserved = outcome == 0
        try:
            yield
        except DomainError as error:
            if reserved and error.code is not ErrorCode.INVALID_CREDENTIALS:
                await self._release(keys=keys[:1])
            raise
        except BaseException:
            if reserved:
                await self._release(keys=keys[:1])
            raise
        if reserved:
            await self._release(keys=keys[:1])
        await self.remember(username, address)

    async def remember(self, username: str, address: str) -> None:
        """Note an address the account's owner signed up or signed in from."""
        key = known_key(username)
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.sadd(key, _digest(address))
            pipe.expire(key, KNOWN_ADDRESS_TTL_S)
            pipe.scard(key)
            *_, size = await pipe.execute()
        if int(size) > _MAX_KNOWN_ADDRESSES:
            await self._redis.spop(key)  # type: ignore[misc]
