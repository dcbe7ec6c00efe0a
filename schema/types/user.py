from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from resolvers import graph, timelines
from schema.context import Info
from schema.ids import to_global_id
from schema.types.common import Node
from services.foundation.errors import forbidden
from services.timeline.user_classes import UserClass

if TYPE_CHECKING:
    from schema.types.connections import PostConnection, UserConnection
    from services.accounts.users import UserRecord

PostConnectionRef = Annotated["PostConnection", strawberry.lazy("schema.types.connections")]
UserConnectionRef = Annotated["UserConnection", strawberry.lazy("schema.types.connections")]


UserClassEnum = strawberry.enum(
    UserClass,
    name="UserClass",
    description="How the feed system treats an account: FAMOUS authors are pulled at read time, "
    "LIVE and ACTIVE readers are pushed to, PASSIVE readers get their feed rebuilt when they return, "
    "INACTIVE readers cost nothing.",
)


@strawberry.type(description="Private to the account's owner.")
class AccountSettings:
    last_seen_at: datetime | None = strawberry.field(description="When this account last made a request.")
    user_class: UserClassEnum  # type: ignore[valid-type]


@strawberry.type(description="A member of the network.")
class User(Node):
    row_id: strawberry.Private[int]
    username: str
    display_name: str
    bio: str
    created_at: datetime

    @classmethod
    def from_record(cls, record: UserRecord) -> User:
        return cls(
            id=strawberry.ID(to_global_id("User", record.id)),
            row_id=record.id,
            username=record.username,
            display_name=record.display_name,
            bio=record.bio,
            created_at=record.created_at,
        )

    @strawberry.field
    async def follower_count(self, info: Info) -> int:
        return (await info.context.loaders.user_counts.load(self.row_id))["followers"]

    @strawberry.field
    async def following_count(self, info: Info) -> int:
        return (await info.context.loaders.user_counts.load(self.row_id))["following"]

    @strawberry.field
    async def post_count(self, info: Info) -> int:
        return (await info.context.loaders.user_counts.load(self.row_id))["posts"]

    @strawberry.field(description="Whether the signed-in user follows this user.")
    async def viewer_follows(self, info: Info) -> bool:
        return await info.context.loaders.viewer_follows.load(self.row_id)

    @strawberry.field(description="Whether this user follows the signed-in user.")
    async def follows_viewer(self, info: Info) -> bool:
        return await info.context.loaders.follows_viewer.load(self.row_id)

    @strawberry.field(description="This user's posts, newest first (the user timeline).")
    async def posts(self, info: Info, first: int, after: str | None = None) -> PostConnectionRef:
        return await timelines.user_timeline(info, self.row_id, first, after)

    @strawberry.field(description="Who follows this user, most recent first.")
    async def followers(self, info: Info, first: int, after: str | None = None) -> UserConnectionRef:
        return await graph.followers(info, self.row_id, first, after)

    @strawberry.field(description="Who this user follows, most recent first.")
    async def following(self, info: Info, first: int, after: str | None = None) -> UserConnectionRef:
        return await graph.following(info, self.row_id, first, after)

    @strawberry.field(
        description="The home timeline: posts of the accounts this user follows, newest first. "
        "Only readable as `viewer`."
    )
    async def home_timeline(self, info: Info, first: int, after: str | None = None) -> PostConnectionRef:
        if info.context.viewer_id != self.row_id:
            raise forbidden("a home timeline is private to its owner")
        return await timelines.home_timeline(info, first, after)

    @strawberry.field(description="Account settings; only the account's owner may read them.")
    async def settings(self, info: Info) -> AccountSettings:
        if info.context.viewer_id != self.row_id:
            raise forbidden("account settings are private to their owner")
        services = info.context.services
        (last_seen,) = await services.activity.last_seen([self.row_id])
        user_class = await services.classes.classify(self.row_id)
        return AccountSettings(last_seen_at=last_seen, user_class=user_class)
