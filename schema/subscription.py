from __future__ import annotations

import strawberry

from resolvers import subscriptions
from schema.types.live import HomeTimelineEvent, PostUpdate


@strawberry.type
class Subscription:
    home_timeline_updates: HomeTimelineEvent = strawberry.subscription(  # type: ignore[assignment]
        resolver=subscriptions.home_timeline_updates,
        description="The viewer's home timeline as it changes, over graphql-transport-ws. Authenticate with "
        '`{"Authorization": "Bearer <token>"}` in connection_init. To resume after a disconnect, pass the '
        "last cursor as `after` (and, to skip posts already on screen, their ids as `seen`): what was missed "
        "is replayed first, oldest first.",
    )
    post_updates: PostUpdate = strawberry.subscription(  # type: ignore[assignment]
        resolver=subscriptions.post_updates,
        description="Live like and comment counts of a post on screen; "
        "ends with deleted=true if it is deleted.",
    )
