"""The privacy stores and policy over a contract backend, for the contract tests that need them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from services.foundation.events import EventBus
from services.privacy.follow_requests import FollowRequests
from services.privacy.policy import VisibilityPolicy
from services.privacy.relations import RelationStore
from services.privacy.service import PrivacyService

if TYPE_CHECKING:
    from services.accounts.users import UserService
    from services.foundation.ids import IdGenerator
    from services.social.follows import FollowService


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
    blocks = RelationStore(db, redis, ids, name="blocks", reverse=True)
    mutes = RelationStore(db, redis, ids, name="mutes", reverse=False)
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
