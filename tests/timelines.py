"""What a home timeline shows, read as a client scrolls it, against what it must show."""

from __future__ import annotations

from typing import TYPE_CHECKING

from resolvers.global_ids import parse_global_id, to_global_id
from services.timeline.feed_store import feed_key

if TYPE_CHECKING:
    from services.container import Services
    from tests.helpers import Api, TestUser

HOME_IDS = """query($first: Int!, $after: String) { viewer { homeTimeline(first: $first, after: $after) {
  edges { node { id } } pageInfo { hasNextPage endCursor } } } }"""


def raw(global_id: str) -> int:
    return parse_global_id(global_id)[1]


async def scroll(api: Api, user: TestUser, page_size: int, query: str = HOME_IDS) -> list[str]:
    """Every post of the home timeline, page by page, as a client would scroll."""
    seen: list[str] = []
    after = None
    for _ in range(100):
        data = await api.gql(query, {"first": page_size, "after": after}, token=user.token)
        timeline = data["viewer"]["homeTimeline"]
        seen += [edge["node"]["id"] for edge in timeline["edges"]]
        if not timeline["pageInfo"]["hasNextPage"]:
            return seen
        after = timeline["pageInfo"]["endCursor"]
    raise AssertionError("the timeline never ended")


async def truth(services: Services, user: TestUser) -> list[str]:
    """What the home timeline must show: every visible post of the accounts followed, and one's own."""
    viewer = raw(user.id)
    followees = [
        edge["followee_id"]
        for edge in await services.stores.db["follows"].find({"follower_id": viewer}).to_list(None)
    ]
    rows = (
        await services.stores.db["posts"]
        .find({"author_id": {"$in": [*followees, viewer]}, "status": "VISIBLE"})
        .sort("_id", -1)
        .to_list(None)
    )
    return [to_global_id("Post", row["_id"]) for row in rows]


async def feed_post_ids(services: Services, user: TestUser) -> set[int]:
    """The post ids in the user's Redis feed, without the sentinel."""
    members = await services.stores.redis.zrange(feed_key(raw(user.id)), 0, -1)
    return {int(member.split(":")[0]) for member in members if member != "0:0"}
