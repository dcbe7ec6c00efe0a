"""Users, sessions and activity: the services' own queries on every backend."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher

from services.accounts.activity import ActivityService
from services.accounts.sessions import SessionService
from services.accounts.users import UserService
from services.foundation.errors import DomainError, ErrorCode
from services.foundation.events import EventBus
from services.foundation.ids import IdGenerator

FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8192)


@pytest.fixture
async def users(contract_db: Any, contract_redis: Any) -> UserService:
    service = UserService(contract_db, contract_redis, IdGenerator(node=1), FAST_HASHER, bus=EventBus())
    await service.ensure_indexes()
    return service


async def test_sign_up_authenticate_and_lookups(users: UserService) -> None:
    ada = await users.sign_up("Ada", "password-1", "Ada L.")
    bob = await users.sign_up("bob", "password-2", None)
    assert ada.username == "ada"
    assert bob.display_name == "bob"
    assert bob.id > ada.id
    assert (await users.authenticate("ADA", "password-1")).id == ada.id
    with pytest.raises(DomainError) as wrong:
        await users.authenticate("ada", "nope-nope")
    assert wrong.value.code is ErrorCode.INVALID_CREDENTIALS
    found = await users.get_many([bob.id, 999, ada.id, bob.id])
    assert [u.id if u else None for u in found] == [bob.id, None, ada.id, bob.id]
    # Second read comes from the Redis cache and is identical
    assert await users.get_many([ada.id]) == [ada]
    assert (await users.get_by_username("BOB")) == bob
    assert await users.page_ids(None, 10) == [ada.id, bob.id]
    assert await users.page_ids(ada.id, 10) == [bob.id]


async def test_unique_username_index_holds_under_a_race(users: UserService) -> None:
    results = await asyncio.gather(
        *(users.sign_up("same", "password-1", None) for _ in range(4)), return_exceptions=True
    )
    created = [r for r in results if not isinstance(r, BaseException)]
    assert len(created) == 1
    assert all(
        isinstance(r, DomainError) and r.code is ErrorCode.USERNAME_TAKEN for r in results if r not in created
    )


async def test_update_profile_invalidates_the_cache(users: UserService) -> None:
    user = await users.sign_up("carol", "password-1", None)
    await users.get_many([user.id])
    updated = await users.update_profile(user.id, "Carol C", "bio here")
    assert (updated.display_name, updated.bio) == ("Carol C", "bio here")
    assert (await users.get(user.id)) == updated


async def test_sessions_create_resolve_revoke(contract_db: Any, contract_redis: Any) -> None:
    sessions = SessionService(contract_db, contract_redis)
    await sessions.ensure_indexes()
    token = await sessions.create(42)
    session = await sessions.resolve(token)
    assert session is not None
    assert session.user_id == 42
    await contract_redis.flushall()  # resolve again from MongoDB, not the cache
    assert (await sessions.resolve(token)) == session
    await sessions.revoke(session)
    assert await sessions.resolve(token) is None
    assert await sessions.resolve("ap_unknown") is None


async def test_expired_sessions_do_not_resolve(contract_db: Any, contract_redis: Any) -> None:
    sessions = SessionService(contract_db, contract_redis)
    token = await sessions.create(7)
    await contract_db["sessions"].update_many(
        {}, {"$set": {"expires_at": datetime.now(UTC) - timedelta(seconds=1)}}
    )
    assert await sessions.resolve(token) is None


async def test_activity_last_seen(contract_db: Any, contract_redis: Any) -> None:
    activity = ActivityService(contract_db, contract_redis)
    before = datetime.now(UTC) - timedelta(seconds=1)
    await activity.touch(5)
    seen, never = await activity.last_seen([5, 6])
    assert never is None
    assert seen is not None
    assert seen >= before
    await contract_redis.flushall()  # falls back to the persisted copy
    (persisted,) = await activity.last_seen([5])
    assert persisted is not None
    assert abs((persisted - seen).total_seconds()) < 1
