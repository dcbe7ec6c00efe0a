from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from resolvers import graph, hashtags, notifications, people, privacy, ranked_timeline, timelines, user_fields
from resolvers.context import Info
from resolvers.cursors import encode_cursor
from resolvers.global_ids import to_global_id
from schema.types import hashtag as hashtag_types
from schema.types import notification as notification_types
from schema.types import people as people_types
from schema.types import post as post_types
from schema.types import ranking as ranking_types
from schema.types.common import Node
from schema.types.connections import UserConnection, UserEdge, page_info
from schema.types.media import Media
from services.posts.records import MediaItem
from services.timeline.user_classes import UserClass

if TYPE_CHECKING:
    from resolvers.pages import EdgePage
    from schema.types.connections import PostConnection
    from schema.types.hashtag import HashtagConnection
    from schema.types.notification import NotificationGroupConnection
    from schema.types.people import SuggestedUserConnection
    from services.accounts.users import UserRecord

PostConnectionRef = Annotated["PostConnection", strawberry.lazy("schema.types.connections")]
UserConnectionRef = Annotated["UserConnection", strawberry.lazy("schema.types.connections")]
NotificationConnectionRef = Annotated[
    "NotificationGroupConnection", strawberry.lazy("schema.types.notification")
]
HashtagConnectionRef = Annotated["HashtagConnection", strawberry.lazy("schema.types.hashtag")]
SuggestedUserConnectionRef = Annotated["SuggestedUserConnection", strawberry.lazy("schema.types.people")]


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
    avatar: Media | None = strawberry.field(
        description="The profile photo, in the same variants as a post's photos (set with "
        "updateProfile(avatarUploadId)); null when none was chosen."
    )
    is_private: bool = strawberry.field(
        description="Whether only approved followers see this account's posts, followers and following."
    )

    @classmethod
    def from_record(cls, record: UserRecord) -> User:
        return cls(
            id=strawberry.ID(to_global_id("User", record.id)),
            row_id=record.id,
            username=record.username,
            display_name=record.display_name,
            bio=record.bio,
            created_at=record.created_at,
            avatar=Media.from_item(MediaItem.from_document(record.avatar)) if record.avatar else None,
            is_private=record.is_private,
        )

    @strawberry.field
    async def follower_count(self, info: Info) -> int:
        return await user_fields.count(info, self.row_id, "followers")

    @strawberry.field
    async def following_count(self, info: Info) -> int:
        return await user_fields.count(info, self.row_id, "following")

    @strawberry.field
    async def post_count(self, info: Info) -> int:
        return await user_fields.count(info, self.row_id, "posts")

    @strawberry.field(description="Whether the signed-in user follows this user.")
    async def viewer_follows(self, info: Info) -> bool:
        return await user_fields.viewer_follows(info, self.row_id)

    @strawberry.field(description="Whether this user follows the signed-in user.")
    async def follows_viewer(self, info: Info) -> bool:
        return await user_fields.follows_viewer(info, self.row_id)

    @strawberry.field(description="Whether the signed-in user has asked to follow this private account.")
    async def viewer_has_requested_follow(self, info: Info) -> bool:
        return await privacy.viewer_requested_follow(info, self.row_id)

    @strawberry.field(
        description="This user's posts, newest first (the user timeline). Empty for a private account "
        "the viewer does not follow, and across a block."
    )
    async def posts(self, info: Info, first: int, after: str | None = None) -> PostConnectionRef:
        return post_types.post_connection(await timelines.user_timeline(info, self.row_id, first, after))

    @strawberry.field(description="Who follows this user, most recent first (empty as `posts` is).")
    async def followers(self, info: Info, first: int, after: str | None = None) -> UserConnectionRef:
        return user_connection(await graph.followers(info, self.row_id, first, after))

    @strawberry.field(description="Who this user follows, most recent first (empty as `posts` is).")
    async def following(self, info: Info, first: int, after: str | None = None) -> UserConnectionRef:
        return user_connection(await graph.following(info, self.row_id, first, after))

    @strawberry.field(
        description="The home timeline: posts of the accounts this user follows (and their own), "
        "newest first or ranked. Only readable as `viewer`."
    )
    async def home_timeline(
        self,
        info: Info,
        first: int,
        after: str | None = None,
        order: ranking_types.HomeOrder = ranking_types.HomeOrder.LATEST,
    ) -> PostConnectionRef:
        if order is ranking_types.HomeOrder.RANKED:
            page = await ranked_timeline.ranked_home_timeline(info, self.row_id, first, after)
            return ranking_types.ranked_post_connection(page)
        return post_types.post_connection(await timelines.home_timeline(info, self.row_id, first, after))

    @strawberry.field(description="Account settings; only the account's owner may read them.")
    async def settings(self, info: Info) -> AccountSettings:
        record = await user_fields.account_settings(info, self.row_id)
        return AccountSettings(last_seen_at=record.last_seen_at, user_class=record.user_class)

    @strawberry.field(description="Grouped notifications, newest activity first. Only readable as `viewer`.")
    async def notifications(
        self, info: Info, first: int, after: str | None = None
    ) -> NotificationConnectionRef:
        return notification_types.notification_connection(
            await notifications.notifications(info, self.row_id, first, after)
        )

    @strawberry.field(description="Notification groups with activity since the read mark. Only as `viewer`.")
    async def unread_notification_count(self, info: Info) -> int:
        return await notifications.unread_count(info, self.row_id)

    @strawberry.field(description="Hashtags this user follows, most recent first. Only readable as `viewer`.")
    async def followed_hashtags(
        self, info: Info, first: int, after: str | None = None
    ) -> HashtagConnectionRef:
        return hashtag_types.hashtag_connection(
            await hashtags.followed_hashtags(info, self.row_id, first, after)
        )

    @strawberry.field(
        description="Accounts to follow: followed by people this user follows, then popular ones. "
        "Only readable as `viewer`."
    )
    async def suggested_users(self, info: Info, first: int) -> SuggestedUserConnectionRef:
        return people_types.suggestion_connection(await people.suggested_users(info, self.row_id, first))

    @strawberry.field(description="Pending requests to follow this private account. Only as `viewer`.")
    async def follow_requests(self, info: Info, first: int, after: str | None = None) -> UserConnectionRef:
        return user_connection(await privacy.follow_requests(info, self.row_id, first, after))

    @strawberry.field(description="Users this user blocked, most recent first. Only as `viewer`.")
    async def blocked_users(self, info: Info, first: int, after: str | None = None) -> UserConnectionRef:
        return user_connection(await privacy.blocked_users(info, self.row_id, first, after))

    @strawberry.field(description="Users this user muted, most recent first. Only as `viewer`.")
    async def muted_users(self, info: Info, first: int, after: str | None = None) -> UserConnectionRef:
        return user_connection(await privacy.muted_users(info, self.row_id, first, after))


def user_connection(page: EdgePage[UserRecord]) -> UserConnection:
    edges = [
        UserEdge(cursor=encode_cursor(edge.key), node=User.from_record(edge.node), since=edge.since)  # type: ignore[arg-type]
        for edge in page.edges
    ]
    return UserConnection(edges=edges, page_info=page_info(page.keys, page.has_next, page.has_previous))
