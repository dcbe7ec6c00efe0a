"""The privacy stores and policy over a contract backend, for the contract tests that need them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher

from services.accounts.users import UserService
from services.counters.service import CounterService
from services.foundation.events import EventBus
from services.foundation.ids import IdGenerator
from services.foundation.turn_batch import TurnBatch
from services.posts.service import PostService
from services.posts.store import PostStore
from services.privacy.follow_requests import FollowRequests
from services.privacy.policy import VisibilityPolicy
from services.privacy.relations import RelationStore
from services.privacy.service import PrivacyService
from services.social.follows import FollowService


@dataclass
class Core:
    """The services every social contract test builds on, over one backend."""

    ids: IdGenerator
    bus: EventBus
    users: UserService
    counters: CounterService
    posts: PostService
    follows: FollowService


def core_services(db: Any, redis: Any, node: int) -> Core:
    # That module imports this one for its own graph
    from tests.contract.test_social_contract import NoQueue

    ids = IdGenerator(node=node)
    bus = EventBus()
    users = UserService(db, redis, ids, PasswordHasher(time_cost=1, memory_cost=8192), bus=bus)
    counters = CounterService(db, redis, NoQueue(), bus=bus)  # type: ignore[arg-type]
    store = PostStore(db, db.client["archive_" + db.name], redis)
    posts = PostService(store, redis, ids, users, counters, bus=bus)
    follows = FollowService(db, ids, users, counters, bus=bus)
    return Core(ids, bus, users, counters, posts, follows)


@dataclass
class PrivacyGraph:
    blocks: RelationStore
    mutes: RelationStore
    policy: VisibilityPolicy
    privacy: PrivacyService


def privacy_graph(
    db: Any,
    redis: Any,
    ids: IdGenerator,
    users: UserService,
    follows: FollowService,
    bus: EventBus | None = None,
) -> PrivacyGraph:
    # One batch for both stores, as the app shares one per process, over redis-py. The hang once
    # seen here over the pipelined wire was a batch hiredis could not pack (bson.Int64 ids)
    # stalling the connection; redis_wire now fails such a batch alone, and
    # test_privacy_contract.py drives the relations over the pipelined wire itself
    turns = TurnBatch(redis, pipelined=False)
    blocks = RelationStore(db["blocks"], redis, ids, name="blocks", reverse=True, turns=turns)
    mutes = RelationStore(db["mutes"], redis, ids, name="mutes", reverse=False, turns=turns)
    policy = VisibilityPolicy(users=users, follows=follows, blocks=blocks, mutes=mutes)
    privacy = PrivacyService(
        users=users,
        follows=follows,
        requests=FollowRequests(db, ids),
        blocks=blocks,
        mutes=mutes,
        policy=policy,
        bus=bus or EventBus(),
    )
    return PrivacyGraph(blocks, mutes, policy, privacy)
