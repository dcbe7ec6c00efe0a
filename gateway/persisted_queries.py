"""Automatic persisted queries (Apollo's protocol). Owns the `apq:{sha256}` keys.

A client sends only the SHA-256 of a query it sent before; every API process finds the text
in Redis. Only queries that parsed and validated are stored, and each entry expires unless it
is used, so the store cannot be filled with junk.
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import redis.asyncio as aioredis

_TTL_S = 7 * 24 * 3600
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def query_hash(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


def is_sha256_hex(value: object) -> bool:
    return isinstance(value, str) and _SHA256_HEX.fullmatch(value) is not None


def persisted_query_key(sha256: str) -> str:
    return f"apq:{sha256}"


class PersistedQueries:
    def __init__(self, redis: aioredis.Redis) -> None:
        self._redis = redis

    async def ensure_indexes(self) -> None:
        """Redis only."""

    async def get(self, sha256: str) -> str | None:
        """The query text, refreshing its lifetime (one round trip)."""
        query: str | None = await self._redis.getex(persisted_query_key(sha256), ex=_TTL_S)
        return query

    async def put(self, sha256: str, query: str) -> None:
        await self._redis.set(persisted_query_key(sha256), query, ex=_TTL_S)
