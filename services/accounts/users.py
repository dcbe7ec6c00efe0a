"""Accounts: sign-up, credentials and profiles. Owns the `users` collection and `user:{uid}` cache keys."""

from __future__ import annotations

import asyncio
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from services.accounts.events import AccountCreated, ProfileUpdated
from services.foundation.clock import utc_now
from services.foundation.errors import DomainError, ErrorCode
from services.foundation.parse_memo import ParseMemo
from services.foundation.turn_batch import TurnBatch

if TYPE_CHECKING:
    from collections.abc import Sequence

    import redis.asyncio as aioredis
    from pymongo.asynchronous.database import AsyncDatabase

    from services.foundation.events import EventBus
    from services.foundation.ids import IdGenerator

USERNAME_PATTERN = re.compile(r"[a-z0-9_.]{3,30}")
MIN_PASSWORD = 8
MAX_PASSWORD = 256
MAX_DISPLAY_NAME = 60
MAX_BIO = 300
_CACHE_TTL_S = 3600
# Parsed users remembered by their cached text (well under 1 KB each)
_PARSED_KEPT = 20_000
_DUPLICATE_KEY = 11000


@dataclass(frozen=True, slots=True)
class UserRecord:
    id: int
    username: str
    display_name: str
    bio: str
    created_at: datetime
    # The profile photo as its media item's document (services.posts.records.MediaItem), or None
    avatar: dict[str, Any] | None = None
    # Posts, followers and following only for approved followers (services/privacy/policy.py)
    is_private: bool = False

    def to_cache(self) -> bytes:
        data = asdict(self)
        data["created_at"] = self.created_at.isoformat()
        return orjson.dumps(data)

    @classmethod
    def from_cache(cls, raw: str | bytes) -> UserRecord:
        data = orjson.loads(raw)
        data["created_at"] = datetime.fromisoformat(data["created_at"])
        return cls(**data)

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> UserRecord:
        return cls(
            id=document["_id"],
            username=document["username"],
            display_name=document["display_name"],
            bio=document.get("bio", ""),
            created_at=document["created_at"].astimezone(UTC),
            avatar=document.get("avatar"),
            is_private=bool(document.get("is_private", False)),
        )


def user_key(user_id: int) -> str:
    return f"user:{{{user_id}}}"


def username_key(username: str) -> str:
    """The id of the user with this (normalised) name."""
    return f"username:{{{username}}}"


def normalize_username(username: str) -> str:
    return username.strip().lower()


def _well_formed(username: str) -> bool:
    # A name of dots or underscores alone ("...", "___"), or with a leading, trailing or
    # doubled dot, cannot be told apart from its neighbours or typed into a link
    return (
        USERNAME_PATTERN.fullmatch(username) is not None
        and any(character.isalnum() for character in username)
        and not username.startswith(".")
        and not username.endswith(".")
        and ".." not in username
    )


def validate_username(username: str) -> str:
    normalized = normalize_username(username)
    if not _well_formed(normalized):
        raise DomainError(
            ErrorCode.USERNAME_INVALID,
            "usernames are 3 to 30 characters: letters, digits, '_' and '.', with at least one "
            "letter or digit, and dots only between other characters",
            "username",
        )
    return normalized


def validate_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise DomainError(
            ErrorCode.PASSWORD_TOO_SHORT,
            f"passwords need at least {MIN_PASSWORD} characters",
            "password",
        )
    if len(password) > MAX_PASSWORD:
        raise DomainError(
            ErrorCode.PASSWORD_TOO_LONG,
            f"passwords are at most {MAX_PASSWORD} characters",
            "password",
        )


def _validate_text(value: str, limit: int, field: str) -> str:
    value = value.strip()
    if len(value) > limit:
        raise DomainError(ErrorCode.TEXT_TOO_LONG, f"{field} is at most {limit} characters", field)
    return value


class UserService:
    def __init__(
        self,
        db: AsyncDatabase[dict[str, Any]],
        redis: aioredis.Redis,
        ids: IdGenerator,
        hasher: PasswordHasher | None = None,
        *,
        bus: EventBus,
        turns: TurnBatch | None = None,
    ) -> None:
        self._bus = bus
        self._users = db["users"]
        self._redis = redis
        self._turns = turns or TurnBatch(redis)
        self._parsed = ParseMemo(UserRecord.from_cache, _PARSED_KEPT)
        self._ids = ids
        self._hasher = hasher or PasswordHasher()
        # Verified against when the username is unknown, so both failures cost the same time
        self._dummy_hash = self._hasher.hash("not-a-real-password")

    async def ensure_indexes(self) -> None:
        await self._users.create_index([("username", ASCENDING)], unique=True, name="username_unique")

    async def hash_password(self, password: str) -> str:
        validate_password(password)
        return await asyncio.to_thread(self._hasher.hash, password)

    async def sign_up(
        self, username: str, password: str, display_name: str | None, *, password_hash: str | None = None
    ) -> UserRecord:
        """Create an account; `password_hash` (from hash_password) lets many accounts share one hash."""
        normalized = validate_username(username)
        validate_password(password)
        display = _validate_text(display_name or normalized, MAX_DISPLAY_NAME, "displayName") or normalized
        if await self._users.find_one({"username": normalized}, {"_id": 1}):
            raise DomainError(ErrorCode.USERNAME_TAKEN, "that username is taken", "username")
        password_hash = password_hash or await asyncio.to_thread(self._hasher.hash, password)
        document = {
            "_id": self._ids.next_id(),
            "username": normalized,
            "display_name": display,
            "bio": "",
            "password_hash": password_hash,
            "created_at": utc_now(),
        }
        try:
            await self._users.insert_one(document)
        except DuplicateKeyError as exc:
            if exc.code == _DUPLICATE_KEY:
                raise DomainError(ErrorCode.USERNAME_TAKEN, "that username is taken", "username") from None
            raise
        record = UserRecord.from_document(document)
        await self._bus.publish(AccountCreated(record.id))
        return record

    async def authenticate(self, username: str, password: str) -> UserRecord:
        document = await self._users.find_one({"username": normalize_username(username)})
        stored_hash = document["password_hash"] if document else self._dummy_hash
        try:
            await asyncio.to_thread(self._hasher.verify, stored_hash, password)
            verified = document is not None
        except (VerificationError, InvalidHashError):
            verified = False
        if not verified or document is None:
            raise DomainError(ErrorCode.INVALID_CREDENTIALS, "wrong username or password")
        if self._hasher.check_needs_rehash(stored_hash):
            new_hash = await asyncio.to_thread(self._hasher.hash, password)
            await self._users.update_one({"_id": document["_id"]}, {"$set": {"password_hash": new_hash}})
        return UserRecord.from_document(document)

    async def get_many(self, user_ids: Sequence[int]) -> list[UserRecord | None]:
        """Users in key order, None for a miss: Redis first, one MongoDB query for the rest."""
        if not user_ids:
            return []
        cached = await self._turns.mget([user_key(uid) for uid in user_ids])
        found: dict[int, UserRecord] = {}
        for uid, raw in zip(user_ids, cached, strict=True):
            if raw is not None:
                found[uid] = self._parsed(raw)
        missing = list({uid for uid in user_ids if uid not in found})
        if missing:
            documents = await self._users.find({"_id": {"$in": missing}}, {"password_hash": 0}).to_list(
                len(missing)
            )
            if documents:
                async with self._redis.pipeline(transaction=False) as pipe:
                    for document in documents:
                        record = UserRecord.from_document(document)
                        found[record.id] = record
                        # NX: a fill read before a profile change must not overwrite the fresh
                        # record that update_profile wrote (a stale `is_private` would leak)
                        pipe.set(user_key(record.id), record.to_cache(), ex=_CACHE_TTL_S, nx=True)
                    await pipe.execute()
        return [found.get(uid) for uid in user_ids]

    async def get(self, user_id: int) -> UserRecord | None:
        return (await self.get_many([user_id]))[0]

    async def get_by_username(self, username: str) -> UserRecord | None:
        """The user with this name: its id from the Redis cache (a username never changes
        hands while its account exists), then the record as get() reads it; MongoDB on a miss."""
        name = normalize_username(username)
        if USERNAME_PATTERN.fullmatch(name) is None:
            return None  # no account can have it: nothing to read, nor a key to make of it
        cached_id = await self._turns.command("GET", username_key(name))
        if cached_id is not None:
            record = (await self.get_many([int(cached_id)]))[0]
            if record is not None and record.username == name:
                return record
        document = await self._users.find_one({"username": name}, {"password_hash": 0})
        if document is None:
            return None
        await self._redis.set(username_key(name), document["_id"], ex=_CACHE_TTL_S)
        return UserRecord.from_document(document)

    async def ids_for_usernames(self, usernames: Sequence[str]) -> list[int]:
        """Ids of the existing users among `usernames`, in the order given."""
        if not usernames:
            return []
        wanted = [normalize_username(name) for name in usernames]
        rows = await self._users.find({"username": {"$in": wanted}}, {"username": 1}).to_list(len(wanted))
        by_name = {row["username"]: row["_id"] for row in rows}
        return [by_name[name] for name in wanted if name in by_name]

    async def update_profile(
        self, user_id: int, display_name: str | None, bio: str | None, *, is_private: bool | None = None
    ) -> UserRecord:
        changes: dict[str, str | bool] = {}
        if display_name is not None:
            display = _validate_text(display_name, MAX_DISPLAY_NAME, "displayName")
            if not display:
                raise DomainError(ErrorCode.INVALID_INPUT, "displayName cannot be empty", "displayName")
            changes["display_name"] = display
        if bio is not None:
            changes["bio"] = _validate_text(bio, MAX_BIO, "bio")
        before = await self._users.find_one({"_id": user_id}, {"is_private": 1})
        if before is None:
            raise DomainError(ErrorCode.NOT_FOUND, "user not found")
        was_private = bool(before.get("is_private", False))
        if is_private is not None and is_private != was_private:
            changes["is_private"] = is_private
        if not changes:
            record = await self.get(user_id)
            if record is None:
                raise DomainError(ErrorCode.NOT_FOUND, "user not found")
            return record
        await self._users.update_one({"_id": user_id}, {"$set": changes})
        document = await self._users.find_one({"_id": user_id}, {"password_hash": 0})
        if document is None:
            raise DomainError(ErrorCode.NOT_FOUND, "user not found")
        record = UserRecord.from_document(document)
        # Written, not deleted: cache fills are NX, so a fill that read the old document cannot
        # land after this and keep an account public in the cache once it turned private
        await self._redis.set(user_key(user_id), record.to_cache(), ex=_CACHE_TTL_S)
        await self._bus.publish(ProfileUpdated(user_id, made_public=was_private and not record.is_private))
        return record

    async def set_avatar(
        self, user_id: int, avatar: dict[str, Any], *, replacing: int | None = None
    ) -> UserRecord | None:
        """Store the profile photo's media item; with `replacing`, only while that item is still
        the current one (a newer photo chosen meanwhile wins). None when there was no match."""
        query: dict[str, Any] = {"_id": user_id}
        if replacing is not None:
            query["avatar.id"] = replacing
        result = await self._users.update_one(query, {"$set": {"avatar": avatar}})
        if result.matched_count != 1:
            return None
        await self._redis.delete(user_key(user_id))
        await self._bus.publish(ProfileUpdated(user_id))
        return await self.get(user_id)

    async def count(self) -> int:
        return await self._users.count_documents({})

    async def page_ids(self, after: int | None, limit: int) -> list[int]:
        """User ids in ascending order, for jobs that walk every account."""
        query: dict[str, Any] = {"_id": {"$gt": after}} if after is not None else {}
        documents = (
            await self._users.find(query, {"_id": 1}).sort("_id", ASCENDING).limit(limit).to_list(limit)
        )
        return [document["_id"] for document in documents]
