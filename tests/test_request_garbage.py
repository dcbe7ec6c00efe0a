"""A request's objects are freed when it ends, not left in reference cycles for the collector.

Each object left in a cycle waits for a collection of the young generation, which stops the
event loop for as long as it takes to walk and free them all: with about 100 such objects a
home page, those pauses were 20 to 30 ms every few hundred requests (bench/execution.py
reports the collector's pauses). The collector is told to keep what it finds, so the test
sees exactly which objects only it could have freed.
"""

from __future__ import annotations

import gc
from collections import Counter
from typing import TYPE_CHECKING

from tests.helpers import LIKE, Api, create_post, follow

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

HOME = """{ viewer { homeTimeline(first: 20) { edges { cursor node {
  id caption likeCount commentCount viewerHasLiked author { id username displayName }
  comments(first: 3) { edges { node { id text author { username } } } }
} } } } }"""
PROFILE = """query($u: String!) { user(username: $u) { id username followerCount viewerFollows
  posts(first: 10) { edges { node { id caption likeCount } } } } }"""
# Our own objects, one or more per request: if any is in the collector's garbage, a cycle held
# the request's tree
REQUEST_TYPES = frozenset(
    {
        "resolvers.context.Context",
        "dataloaders.Loaders",
        "schema.execution.executor.PlannedExecutor",
        "starlette.requests.Request",
        "gateway.graphql_view.GraphQLSubResponse",
    }
)


def _name(obj: object) -> str:
    return f"{type(obj).__module__}.{type(obj).__qualname__}"


async def _requests_leave_no_cycles(send: Callable[[], Awaitable[object]]) -> Counter[str]:
    await send()  # caches and plans warm, so that what stays is not mistaken for garbage
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for _ in range(5):
            await send()
        gc.collect()
        return Counter(name for name in map(_name, gc.garbage) if name in REQUEST_TYPES)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()


async def test_reads_and_writes_leave_nothing_to_the_collector(
    api: Api, run_jobs: Callable[[], Awaitable[int]]
) -> None:
    author, reader = await api.new_user("cyclesauthor"), await api.new_user("cyclesreader")
    await follow(api, reader, author)
    post_id = await create_post(api, author, "kept")
    await run_jobs()

    async def home() -> object:
        data = await api.gql(HOME, token=reader.token)
        assert data["viewer"]["homeTimeline"]["edges"], data
        return data

    async def profile() -> object:
        return await api.gql(PROFILE, {"u": author.username}, token=reader.token)

    async def like() -> object:
        return await api.post(LIKE, {"p": post_id}, token=reader.token)

    async def refused() -> object:
        return await api.post("{ viewer { nope } }", token=reader.token)

    for send in (home, profile, like, refused):
        assert await _requests_leave_no_cycles(send) == Counter(), send.__name__
