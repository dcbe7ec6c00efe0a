"""Reading the RANKED home timeline as a client does, for the tests that check it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.helpers import Api, TestUser, create_post, follow

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    RunJobs = Callable[[], Awaitable[int]]

RANKED = """query($first: Int!, $after: String) { viewer {
  homeTimeline(first: $first, after: $after, order: RANKED) {
    edges { cursor reason node { id author { username } }
      ranking { score ageHours recency likesGiven commentsGiven profileVisits affinity
                recentLikes recentComments velocity shownBefore } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
} } }"""


async def ranked_page(api: Api, user: TestUser, first: int, after: str | None = None) -> dict[str, Any]:
    data = await api.gql(RANKED, {"first": first, "after": after}, token=user.token)
    page: dict[str, Any] = data["viewer"]["homeTimeline"]
    return page


async def ranked_error(api: Api, user: TestUser, first: int, after: str | None, query: str = RANKED) -> str:
    errors = await api.gql_errors(query, {"first": first, "after": after}, token=user.token)
    code: str = errors[0]["extensions"]["code"]
    return code


async def reader_of_one_author(api: Api, run_jobs: RunJobs, posts: int) -> tuple[TestUser, TestUser]:
    """A reader following an author who has written `posts` posts."""
    reader = await api.new_user("reader")
    author = await api.new_user("author")
    await follow(api, reader, author)
    for i in range(posts):
        await create_post(api, author, f"post {i}")
    await run_jobs()
    return reader, author


def ids(page: dict[str, Any]) -> list[str]:
    return [edge["node"]["id"] for edge in page["edges"]]
