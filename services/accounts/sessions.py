"""Bearer-token sessions. Owns the `sessions` collection and `session:{digest}` cache keys.

Only a SHA-256 of each token is stored, so a leaked database cannot be replayed.
Revocation deletes the record and its cache entry, so signOut ends the session
for every API process at once, and is published on SESSIONS_REVOKED_CHANNEL, so
that every process closes the WebSockets opened with it (gateway/session_sockets.py).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import orjson
from pymongo import ASCENDING

from services.foundation.clock import utc_now
from services.foundation.cluster_safe import publish
from services.foundation.turn_batch import TurnBatch

if TYPE_CHECKING:
    import redis.asyncio as aioredis
    from pymongo.asynchronous.database import AsyncDatabase


TOKEN_PREFIX = "ap_"  # noqa: S105 - a public prefix that makes leaked tokens greppable
SESSION_LIFETIME = timedelta(days=60)
_CACHE_TTL_S = 600
_MAX_TOKEN_LENGTH = 128
_KNOWN_SESSIONS = 100_000
SESSIONS_REVOKED_CHANNEL = "sessions:revoked"


@dataclass(frozen=True, slots=True)
class Session:
    id: str
    user_id: int


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def session_key(session_id: str) -> str:
    return f"session:{{{session_id}}}"


class SessionService:
    def __init__(
        self, db: AsyncDatabase[dict[str, Any]], redis: aioredis.Redis, *, turns: TurnBatch | None = None
    ) -> None:
        self._sessions = db["sessions"]
        self._redis = redis
        # Every request resolves its token: batched with the other calls of its turn
        self._turns = turns or TurnBatch(redis)
        # Whose each recently resolved session was: a hint, never proof (`known_user`)
        self._user_of: dict[str, int] = {}

    async def ensure_indexes(self) -> None:
        await self._sessions.create_index([("user_id", ASCENDING)], name="by_user")
        await self._sessions.create_index(
            [("expires_at", ASCENDING)], expireAfterSeconds=0, name="expiry_ttl"
        )

    async def create(self, user_id: int) -> str:
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = utc_now()
        await self._sessions.insert_one(
            {
                "_id": _digest(token),
                "user_id": user_id,
                "created_at": now,
                "expires_at": now + SESSION_LIFETIME,
            }
        )
        return token

    def known_user(self, token: str) -> int | None:
        """The user this process last resolved the token to, if it did: what a request may read
        beside the session itself (their record, their budget) so that both take one round trip.
        A hint only: the session is still read, and a revoked one is forgotten here when it is."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > _MAX_TOKEN_LENGTH:
            return None
        return self._user_of.get(_digest(token))

    async def resolve(self, token: str) -> Session | None:
        if not token.startswith(TOKEN_PREFIX) or len(token) > _MAX_TOKEN_LENGTH:
            return None
        session_id = _digest(token)
        session = await self._resolve(session_id)
        if session is None:
            self._user_of.pop(session_id, None)
        elif session_id not in self._user_of:
            if len(self._user_of) >= _KNOWN_SESSIONS:
                del self._user_of[next(iter(self._user_of))]  # the oldest hint
            self._user_of[session_id] = session.user_id
        return session

    async def _resolve(self, session_id: str) -> Session | None:
        cached = await self._turns.command("GET", session_key(session_id))
        if cached is not None:
            return Session(session_id, int(cached)) if cached != "-" else None
        document = await self._sessions.find_one(
            # TTL indexes delete lazily, so expiry is also checked here
            {"_id": session_id, "expires_at": {"$gt": datetime.now(UTC)}},
            {"user_id": 1},
        )
        user_id = document["user_id"] if document else None
        # Misses are cached briefly too, so a flood of bad tokens stays off MongoDB
        await self._redis.set(
            session_key(session_id),
            str(user_id) if user_id is not None else "-",
            ex=_CACHE_TTL_S if user_id is not None else 30,
        )
        return Session(session_id, user_id) if user_id is not None else None

    async def is_active(self, session_id: str) -> bool:
        cached = await self._redis.get(session_key(session_id))
        if cached is not None:
            return bool(cached != "-")
        found = await self._sessions.find_one(
            {"_id": session_id, "expires_at": {"$gt": datetime.now(UTC)}}, {"_id": 1}
        )
        return found is not None

    async def revoke(self, session: Session) -> None:
        self._user_of.pop(session.id, None)
        await self._sessions.delete_one({"_id": session.id})
        await self._redis.delete(session_key(session.id))
        await publish(self._redis, SESSIONS_REVOKED_CHANNEL, orjson.dumps({"sessionId": session.id}))
