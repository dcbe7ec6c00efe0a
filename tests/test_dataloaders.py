"""A page of posts costs a fixed number of round trips, whatever its size."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from redis.asyncio.connection import AbstractConnection

from resolvers.global_ids import parse_global_id
from services.accounts.users import user_key
from services.foundation.redis_wire import PipelinedConnection, WireBatch
from tests.helpers import LIKE, Api, create_post, follow

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from services.container import Services

PAGE = """query($u: String!, $first: Int!) { user(username: $u) {
  posts(first: $first) { edges { node {
    id caption likeCount commentCount viewerHasLiked
    author { username followerCount viewerFollows }
    mentions { username }
  } } }
} }"""


class RoundTrips:
    """Counts what is written to Redis: each redis-py command or pipeline, and each batch the
    read path's pipelined connection sends (services/foundation/redis_wire.py)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        self.wire_commands = 0  # commands in the pipelined connection's batches
        original = AbstractConnection.send_packed_command
        original_write = PipelinedConnection._write

        async def counting(connection: AbstractConnection, *args: Any, **kwargs: Any) -> None:
            self.count += 1
            await original(connection, *args, **kwargs)

        def counting_write(connection: PipelinedConnection, protocol: Any, batch: WireBatch) -> None:
            self.count += 1
            self.wire_commands += len(batch.commands)
            original_write(connection, protocol, batch)

        monkeypatch.setattr(AbstractConnection, "send_packed_command", counting)
        monkeypatch.setattr(PipelinedConnection, "_write", counting_write)


async def _measure(
    api: Api, services: Services, monkeypatch: pytest.MonkeyPatch, username: str, first: int, token: str
) -> tuple[int, int, dict[str, int]]:
    trips = RoundTrips(monkeypatch)
    services.stores.mongo_stats.reset()
    data = await api.gql(PAGE, {"u": username, "first": first}, token=token)
    assert len(data["user"]["posts"]["edges"]) == first
    return services.stores.mongo_stats.total, trips.count, dict(services.stores.mongo_stats.by_command)


# Pages the author's cached window serves (the tests keep 10 ids per author), and pages past it
SIZES = {"from the window": (3, 9), "from MongoDB": (12, 20)}


@pytest.mark.parametrize("sizes", SIZES.values(), ids=SIZES.keys())
@pytest.mark.parametrize("warm", [False, True])
async def test_page_cost_does_not_grow_with_page_size(
    api: Api, services: Services, monkeypatch: pytest.MonkeyPatch, warm: bool, sizes: tuple[int, int]
) -> None:
    author = await api.new_user("author")
    viewer = await api.new_user("viewer")
    friend = await api.new_user("friend")
    post_ids = [await create_post(api, author, f"post {i} with @{friend.username}") for i in range(20)]
    for post_id in post_ids[::2]:
        await api.gql(LIKE, {"p": post_id}, token=viewer.token)
    if not warm:
        await services.stores.redis.flushdb()  # every cache cold: users, posts, counters
        viewer = await api.new_user("viewer")  # the session cache went with the flush
    await api.gql(PAGE, {"u": author.username, "first": 1}, token=viewer.token)  # warm the session
    if not warm:
        await services.stores.redis.flushdb()
        viewer = await api.new_user("viewer")

    small = await _measure(api, services, monkeypatch, author.username, sizes[0], viewer.token)
    if not warm:
        await services.stores.redis.flushdb()
        viewer = await api.new_user("viewer")
    large = await _measure(api, services, monkeypatch, author.username, sizes[1], viewer.token)

    mongo_small, redis_small, _ = small
    mongo_large, redis_large, by_command = large
    assert mongo_large == mongo_small, (small, large)
    assert redis_large == redis_small, (small, large)
    # user by name, the timeline page, and one batched query per kind of miss
    # cold: session, user by name, page, users, post counts, user counts, likes, follows, last-seen,
    # and the viewer's two block sets (whom they blocked, who blocked them), built once
    assert mongo_large <= (11 if not warm else 3), by_command
    # warm: session, user by name, the page, viewerFollows; Redis: session, rate limit, users,
    # posts, counts, likes, the profile visit the viewer's ranking signals record, whether the
    # user blocked the viewer, and the policy's check of the author (services/privacy). Cold, a
    # page the author's window serves first builds the window (read, begin, fill, read again),
    # and the viewer's block sets are filled
    assert redis_large <= (25 if not warm else 10), redis_large


HOME = """query($first: Int!) { viewer { homeTimeline(first: $first) { edges { node {
  id caption likeCount viewerHasLiked
  author { username followerCount viewerFollows }
  mentions { username }
} } } } }"""


async def test_home_page_cost_does_not_grow_with_the_number_of_authors(
    api: Api, services: Services, monkeypatch: pytest.MonkeyPatch, run_jobs: Callable[[], Awaitable[int]]
) -> None:
    viewer = await api.new_user("viewer")
    await api.gql(HOME, {"first": 1}, token=viewer.token)  # the viewer's feed exists: posts are pushed
    authors = [await api.new_user("author") for _ in range(20)]
    mentioned = [await api.new_user("mentioned") for _ in range(20)]
    for author in authors:
        await follow(api, viewer, author)
    for author, other in zip(authors, mentioned, strict=True):
        post_id = await create_post(api, author, f"hello @{other.username}")
        await api.gql(LIKE, {"p": post_id}, token=viewer.token)
    await run_jobs()

    async def measure(first: int) -> tuple[int, int, set[str]]:
        await services.stores.redis.delete(*[user_key(parse_global_id(u.id)[1]) for u in authors + mentioned])
        trips = RoundTrips(monkeypatch)
        services.stores.mongo_stats.reset()
        edges = (await api.gql(HOME, {"first": first}, token=viewer.token))["viewer"]["homeTimeline"]["edges"]
        assert len(edges) == first
        return (
            services.stores.mongo_stats.total,
            trips.count,
            {edge["node"]["author"]["username"] for edge in edges},
        )

    await measure(1)  # the once-per-visit writes (last seen, feed refresh) happen here
    mongo_small, redis_small, authors_small = await measure(5)
    mongo_large, redis_large, authors_large = await measure(20)
    assert (len(authors_small), len(authors_large)) == (5, 20), "one post per author"
    # 20 authors and 20 mentioned users, loaded cold, cost what 5 and 5 do: batched, not per item
    assert mongo_large == mongo_small
    assert redis_large == redis_small


BENCH_HOME = """{ viewer { homeTimeline(first: 20) { edges { cursor node {
  id caption createdAt likeCount commentCount viewerHasLiked
  author { id username displayName }
  media { id type url(size: MEDIUM) blurhash }
} } pageInfo { hasNextPage endCursor } } } }"""


async def test_a_warm_home_page_is_a_few_pipelined_redis_round_trips_and_no_mongodb(
    api: Api, services: Services, monkeypatch: pytest.MonkeyPatch, run_jobs: Callable[[], Awaitable[int]]
) -> None:
    viewer = await api.new_user("viewer")
    await api.gql(BENCH_HOME, token=viewer.token)  # active: posts are pushed to the feed
    authors = [await api.new_user("author") for _ in range(5)]
    for author in authors:
        await follow(api, viewer, author)
        for index in range(4):
            post_id = await create_post(api, author, f"post {index}")
            if index % 2:
                await api.gql(LIKE, {"p": post_id}, token=viewer.token)
    await run_jobs()
    await api.gql(BENCH_HOME, token=viewer.token)  # warm: every cache filled

    trips = RoundTrips(monkeypatch)
    services.stores.mongo_stats.reset()
    edges = (await api.gql(BENCH_HOME, token=viewer.token))["viewer"]["homeTimeline"]["edges"]
    assert len(edges) == 20
    assert services.stores.mongo_stats.total == 0, services.stores.mongo_stats.by_command
    # The session with the viewer's record and the rate-limit charge (the token's user is known to
    # this process); the feed with the famous accounts and hashtags followed; the posts with their
    # authors, counts and the viewer's likes
    assert trips.count == 3
    # And few commands in them: the page's counts are one call, not one per post (that made 40)
    assert trips.wire_commands <= 25, trips.wire_commands
