"""Finding people by name over real HTTP: prefix matching, ranking, paging, bad input, limits."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from gateway.rate_limits import Bucket
from gateway.request_units import MUTATION_BUCKETS
from services.discovery.people_index import lex_key, top_key
from tests.helpers import Api, TestUser, follow

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from services.container import Services

    RunJobs = Callable[[], Awaitable[int]]

SEARCH = """query($q: String!, $first: Int!, $after: String) { searchUsers(query: $q, first: $first, after: $after) {
  edges { cursor exactMatch node { username displayName followerCount } } pageInfo { hasNextPage endCursor } } }"""
RENAME = "mutation($d: String!) { updateProfile(displayName: $d) { errors { code } } }"


async def named(api: Api, prefix: str, display_name: str) -> TestUser:
    user = await api.new_user(prefix)
    await api.gql(RENAME, {"d": display_name}, token=user.token)
    return user


async def found(api: Api, query: str, first: int = 20, token: str | None = None) -> list[str]:
    data = await api.gql(SEARCH, {"q": query, "first": first}, token=token)
    return [edge["node"]["username"] for edge in data["searchUsers"]["edges"]]


async def followed_by(api: Api, user: TestUser, count: int) -> None:
    for _ in range(count):
        await follow(api, await api.new_user("zz"), user)


async def test_prefixes_of_usernames_display_names_and_their_words_match(api: Api, run_jobs: RunJobs) -> None:
    jose = await named(api, "jmuller", "José Müller")
    await named(api, "other", "Someone Else")
    await run_jobs()
    for query in ("jmul", "JMULLER", "jose", "JOSÉ", "José M", "jose  müll", "mull", "MÜLLER", "@jmu"):
        assert await found(api, query) == [jose.username], query
    for query in ("ose", "uller", "jose x"):
        assert await found(api, query) == [], query


async def test_an_exact_username_comes_first_then_the_most_followed(api: Api, run_jobs: RunJobs) -> None:
    quiet = await named(api, "mina", "Minako Quiet")  # username mina<n>
    popular = await named(api, "minato", "Minako Popular")
    middling = await named(api, "mina_m", "Minako Middling")
    await followed_by(api, popular, 3)
    await followed_by(api, middling, 1)
    await run_jobs()  # the counter flush settles the follower counts the index ranks by
    for query in ("min", "minako"):  # both ranked paths: short prefixes and longer queries
        assert await found(api, query) == [popular.username, middling.username, quiet.username], query
    data = await api.gql(SEARCH, {"q": quiet.username, "first": 5})
    first = data["searchUsers"]["edges"][0]
    assert (first["node"]["username"], first["exactMatch"]) == (quiet.username, True)
    assert [e["node"]["username"] for e in data["searchUsers"]["edges"][1:]] == []
    assert (await found(api, "minat"))[0] == popular.username


async def test_paging_a_search_has_no_gaps_or_repeats(api: Api, run_jobs: RunJobs) -> None:
    people = [await named(api, "pager", f"Pager {n}") for n in range(7)]
    for n, person in enumerate(people[:4]):
        await followed_by(api, person, n % 3)
    await run_jobs()
    for query in ("pa", "pager"):
        everything = await found(api, query, first=50)
        assert sorted(everything) == sorted(p.username for p in people)
        paged: list[str] = []
        after = None
        while True:
            data = await api.gql(SEARCH, {"q": query, "first": 3, "after": after})
            connection = data["searchUsers"]
            paged += [edge["node"]["username"] for edge in connection["edges"]]
            if not connection["pageInfo"]["hasNextPage"]:
                break
            after = connection["pageInfo"]["endCursor"]
        assert paged == everything, query


async def test_a_renamed_person_is_found_by_the_new_name_only(api: Api, run_jobs: RunJobs) -> None:
    person = await named(api, "renamer", "Old Name")
    await run_jobs()
    assert await found(api, "old name") == [person.username]
    await api.gql(RENAME, {"d": "Brand New"}, token=person.token)
    assert await found(api, "old") == []
    assert await found(api, "brand") == [person.username]


async def test_a_lost_index_is_rebuilt_by_a_job(api: Api, services: Services, run_jobs: RunJobs) -> None:
    person = await named(api, "lost", "Lost Index")
    await run_jobs()
    redis = services.stores.redis
    lost = [key async for key in redis.scan_iter("people:*")]  # the cache was lost
    assert {top_key("lo"), lex_key("lost")} <= set(lost)
    await redis.delete(*lost)
    assert await found(api, "lost") == []  # and the search asked for a rebuild
    await run_jobs()
    assert await found(api, "lost") == [person.username]
    assert await found(api, "lo") == [person.username]


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("", "QUERY_TOO_SHORT"),
        ("a", "QUERY_TOO_SHORT"),
        ("@b", "QUERY_TOO_SHORT"),
        ("  ", "QUERY_TOO_SHORT"),
        ("x" * 61, "INVALID_INPUT"),
    ],
)
async def test_too_short_or_too_long_queries_get_a_code(api: Api, query: str, code: str) -> None:
    response = await api.post(SEARCH, {"q": query, "first": 5})
    body: dict[str, Any] = response.json()
    assert response.status_code == 200, body
    assert [(e["extensions"]["code"], e["extensions"].get("field")) for e in body["errors"]] == [
        (code, "query")
    ]


@pytest.mark.parametrize(
    ("first", "after", "code"),
    [
        (0, None, "INVALID_PAGE_SIZE"),
        (101, None, "INVALID_PAGE_SIZE"),
        (5, "bm9wZQ", "INVALID_CURSOR"),
        (5, "k1:12", "INVALID_CURSOR"),
        (5, "<\u00f0B\u0002", "INVALID_CURSOR"),  # not ASCII: base64 raises ValueError
        (5, "cjE6MTrCsjoz", "INVALID_CURSOR"),  # "r1:1:²:3": str.isdigit() accepts "²", int() does not
    ],
)
async def test_bad_pages_get_a_code(api: Api, first: int, after: str | None, code: str) -> None:
    body = (await api.post(SEARCH, {"q": "abc", "first": first, "after": after})).json()
    assert [e["extensions"]["code"] for e in body["errors"]] == [code]


async def test_search_and_suggestions_are_charged_to_the_read_budgets(api: Api) -> None:
    user = await api.new_user()
    suggest = "{ viewer { suggestedUsers(first: 3) { edges { reason } } } }"
    for query, variables, token in (
        (SEARCH, {"q": "abc", "first": 5}, user.token),
        (suggest, None, user.token),
        (SEARCH, {"q": "abc", "first": 5}, None),
    ):
        response = await api.post(query, variables, token=token)
        assert response.status_code == 200
        # The limiter charged the request (the tests' budgets are too large to run out)
        assert int(response.headers["ratelimit-limit"]) > 0
        assert response.headers["ratelimit-policy"].endswith(";w=60")
    # Queries pay only the request's unit (read, or anon by address); the hashtag mutations are
    # follows, and marking notifications read is an ordinary signed-in request
    assert MUTATION_BUCKETS["followHashtag"] is MUTATION_BUCKETS["unfollowHashtag"] is Bucket.FOLLOW
    assert "markNotificationsRead" not in MUTATION_BUCKETS
    assert "searchUsers" not in MUTATION_BUCKETS
