"""Following through privacy, follow requests, blocks and mutes: the writes of the package.

Following goes through here rather than straight to the social graph: a block refuses it, and
a private account turns it into a request. A block removes the follow edges and pending
requests both ways through the graph's own unfollow, so the unfollow sweep (twice, the second
after the longest fan-out batch can run) takes each side's posts out of the other's feed.
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING

from services.foundation.errors import DomainError, ErrorCode, not_found
from services.privacy.events import UserBlocked, UserMuted

if TYPE_CHECKING:
    from services.accounts.users import UserRecord, UserService
    from services.foundation.events import EventBus
    from services.foundation.pagination import Page
    from services.privacy.follow_requests import FollowRequest, FollowRequests
    from services.privacy.policy import VisibilityPolicy
    from services.privacy.relations import RelationEdge, RelationStore
    from services.social.follows import FollowService

# Pending requests approved per round when an account turns public
_APPROVE_BATCH = 100


class FollowOutcome(Enum):
    FOLLOWING = "FOLLOWING"
    REQUESTED = "REQUESTED"


class PrivacyService:
    def __init__(
        self,
        *,
        users: UserService,
        follows: FollowService,
        requests: FollowRequests,
        blocks: RelationStore,
        mutes: RelationStore,
        policy: VisibilityPolicy,
        bus: EventBus,
    ) -> None:
        self._users = users
        self._follows = follows
        self.requests = requests
        self._blocks = blocks
        self._mutes = mutes
        self.policy = policy
        self._bus = bus

    async def ensure_indexes(self) -> None:
        await self.requests.ensure_indexes()
        await self._blocks.ensure_indexes()
        await self._mutes.ensure_indexes()

    async def _other_user(self, viewer_id: int, user_id: int, action: str) -> UserRecord:
        if viewer_id == user_id:
            raise DomainError(ErrorCode.CANNOT_TARGET_SELF, f"you cannot {action} yourself", "userId")
        record = await self._users.get(user_id)
        if record is None:
            raise not_found("user", "userId")
        return record

    # Following

    async def follow(self, viewer_id: int, user_id: int) -> tuple[bool, FollowOutcome]:
        """Follow, or ask to follow a private account; whether anything changed, and which."""
        if viewer_id == user_id:
            raise DomainError(ErrorCode.CANNOT_FOLLOW_SELF, "you cannot follow yourself", "userId")
        target = await self._other_user(viewer_id, user_id, "follow")
        if await self.policy.hides_profile(viewer_id, user_id):
            raise not_found("user", "userId")  # blocked by them: as if they did not exist
        if await self.policy.viewer_blocked(viewer_id, [user_id]):
            raise DomainError(ErrorCode.BLOCKED, "you blocked this user: unblock them first", "userId")
        if target.is_private and not await self._follows.follows_which(viewer_id, [user_id]):
            return await self.requests.create(viewer_id, user_id), FollowOutcome.REQUESTED
        return await self._follows.follow(viewer_id, user_id), FollowOutcome.FOLLOWING

    async def approve(self, owner_id: int, requester_id: int) -> bool:
        """Approve a pending request: the requester follows the owner (False if none was pending)."""
        if not await self.requests.delete(requester_id, owner_id):
            return False
        await self._follows.follow(requester_id, owner_id)
        return True

    async def reject(self, owner_id: int, requester_id: int) -> bool:
        return await self.requests.delete(requester_id, owner_id)

    async def cancel(self, requester_id: int, target_id: int) -> bool:
        return await self.requests.delete(requester_id, target_id)

    async def incoming_requests(self, owner_id: int, after: int | None, limit: int) -> Page[FollowRequest]:
        return await self.requests.page(owner_id, after, limit)

    async def on_profile_updated(self, user_id: int, *, made_public: bool) -> None:
        """An account that turned public approves everyone who asked (followers stay either way)."""
        if not made_public:
            return
        while True:
            page = await self.requests.page(user_id, None, _APPROVE_BATCH)
            for request in page.items:
                await self.approve(user_id, request.requester_id)
            if not page.has_next:
                return

    # Blocks

    async def block(self, viewer_id: int, user_id: int) -> bool:
        await self._other_user(viewer_id, user_id, "block")
        added = await self._blocks.add(viewer_id, user_id)
        # Cut both ways even on a repeat: a crash between the block and the cut is finished by it
        for follower, followee in ((viewer_id, user_id), (user_id, viewer_id)):
            await self._follows.unfollow(follower, followee)
            await self.requests.delete(follower, followee)
        if added:
            await self._bus.publish(UserBlocked(viewer_id, user_id))
        return added

    async def unblock(self, viewer_id: int, user_id: int) -> bool:
        await self._other_user(viewer_id, user_id, "unblock")
        return await self._blocks.remove(viewer_id, user_id)

    async def blocked_users(self, viewer_id: int, after: int | None, limit: int) -> Page[RelationEdge]:
        return await self._blocks.page(viewer_id, after, limit)

    # Mutes

    async def mute(self, viewer_id: int, user_id: int) -> bool:
        await self._other_user(viewer_id, user_id, "mute")
        added = await self._mutes.add(viewer_id, user_id)
        if added:
            await self._bus.publish(UserMuted(viewer_id, user_id))
        return added

    async def unmute(self, viewer_id: int, user_id: int) -> bool:
        await self._other_user(viewer_id, user_id, "unmute")
        return await self._mutes.remove(viewer_id, user_id)

    async def muted_users(self, viewer_id: int, after: int | None, limit: int) -> Page[RelationEdge]:
        return await self._mutes.page(viewer_id, after, limit)
