from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from resolvers import notifications, subscriptions
from resolvers.context import Info
from schema.execution.live_frames import PrerenderedFrames
from schema.types.live import HomeTimelineEvent, PostUpdate
from schema.types.notification import NotificationEvent


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="The viewer's home timeline as it changes, over graphql-transport-ws. Authenticate with "
        '`{"Authorization": "Bearer <token>"}` in connection_init. To resume after a disconnect, pass the '
        "last cursor as `after` (and, to skip posts already on screen, their ids as `seen`): what was missed "
        "is replayed first, oldest first."
    )
    async def home_timeline_updates(
        self, info: Info, after: str | None = None, seen: list[strawberry.ID] | None = None
    ) -> AsyncGenerator[HomeTimelineEvent, None]:
        # graphql-core's resolve info (schema, fragments, operation, variables): strawberry keeps it there
        frames = PrerenderedFrames.for_subscription(info._raw_info)  # noqa: SLF001

        async def express(update: subscriptions.HomeUpdate) -> bool:
            assert frames is not None  # noqa: S101 - passed only with frames
            return await frames.send(HomeTimelineEvent.share_key_of(update))

        async for update in subscriptions.home_timeline_updates(
            info, after, list(seen) if seen is not None else None, express if frames is not None else None
        ):
            # Sent as the bytes of another subscriber's render of the same, when there is one
            if frames is None or not await frames.send(HomeTimelineEvent.share_key_of(update)):
                yield HomeTimelineEvent.from_update(update)

    @strawberry.subscription(
        description="Live like and comment counts of a post on screen; "
        "ends with deleted=true if it is deleted."
    )
    async def post_updates(self, info: Info, id: strawberry.ID) -> AsyncGenerator[PostUpdate, None]:  # noqa: A002 - GraphQL argument name
        async for state in subscriptions.post_updates(info, id):
            yield PostUpdate.from_state(state)

    @strawberry.subscription(
        description="The viewer's notifications as they change: new or updated groups, removed groups and "
        "read marks, each with the unread count. Authenticate as for homeTimelineUpdates."
    )
    async def notification_events(self, info: Info) -> AsyncGenerator[NotificationEvent, None]:
        async for live in notifications.notification_events(info):
            yield NotificationEvent.from_live(live)
