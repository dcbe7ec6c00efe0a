"""The user timeline: newest first, keyset cursors, no duplicates or gaps under concurrent writes."""

from __future__ import annotations

import pytest

from tests.helpers import Api, create_post

TIMELINE = """query($u: String!, $first: Int!, $after: String) { user(username: $u) {
  posts(first: $first, after: $after) { edges { cursor node { id caption } } pageInfo { hasNextPage hasPreviousPage endCursor } }
} }"""


async def test_pages_are_newest_first_without_gaps_while_posts_arrive(api: Api) -> None:
    author = await api.new_user()
    originals = [await create_post(api, author, f"p{i}") for i in range(10)]
    seen: list[str] = []
    after = None
    newcomers: list[str] = []
    while True:
        page = (await api.gql(TIMELINE, {"u": author.username, "first": 3, "after": after}))["user"]["posts"]
        seen += [edge["node"]["id"] for edge in page["edges"]]
        # New posts land at the head while the reader scrolls down: they must not shift the pages
        newcomers.append(await create_post(api, author, "late arrival"))
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == list(reversed(originals))
    assert len(set(seen)) == len(seen)
    head = (await api.gql(TIMELINE, {"u": author.username, "first": 4}))["user"]["posts"]
    assert [e["node"]["id"] for e in head["edges"]] == list(reversed(newcomers))


async def test_page_info(api: Api) -> None:
    author = await api.new_user()
    for i in range(3):
        await create_post(api, author, f"p{i}")
    first = (await api.gql(TIMELINE, {"u": author.username, "first": 2}))["user"]["posts"]
    assert first["pageInfo"]["hasNextPage"] is True
    assert first["pageInfo"]["hasPreviousPage"] is False
    assert first["pageInfo"]["endCursor"] == first["edges"][-1]["cursor"]
    rest = await api.gql(
        TIMELINE, {"u": author.username, "first": 2, "after": first["pageInfo"]["endCursor"]}
    )
    rest_page = rest["user"]["posts"]
    assert len(rest_page["edges"]) == 1
    assert rest_page["pageInfo"]["hasNextPage"] is False
    assert rest_page["pageInfo"]["hasPreviousPage"] is True


@pytest.mark.parametrize("first", [0, -1, 101, 10_000])
async def test_first_is_bounded(api: Api, first: int) -> None:
    author = await api.new_user()
    errors = await api.gql_errors(TIMELINE, {"u": author.username, "first": first})
    assert errors[0]["extensions"] == {"code": "INVALID_PAGE_SIZE", "field": "first"}


async def test_first_is_required(api: Api) -> None:
    response = await api.post('{ user(username: "x") { posts { edges { cursor } } } }')
    assert response.status_code == 400
    assert "first" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "a2sxOmFiYw",
        "",
        "x" * 100,
        "azE6wrI",  # "k1:" and a superscript two, which str.isdigit() accepts and int() refuses
        "azE62aE",  # "k1:" and an Arabic-Indic one, which int() reads as 1
        "azE6Kzk",  # "k1:+9"
        "azE6MV8w",  # "k1:1_0", which int() reads as 10
        "<\u00f0B\u0002",  # not ASCII: base64 decoding raises ValueError, not binascii.Error
    ],
)
async def test_bad_cursors(api: Api, cursor: str) -> None:
    author = await api.new_user()
    errors = await api.gql_errors(TIMELINE, {"u": author.username, "first": 5, "after": cursor})
    assert errors[0]["extensions"]["code"] == "INVALID_CURSOR"


async def test_deep_queries_are_refused_before_execution(api: Api) -> None:
    def nested(levels: int) -> str:
        inner = "id"
        for _ in range(levels):
            inner = f"posts(first: 1) {{ edges {{ node {{ author {{ {inner} }} }} }} }}"
        return f'{{ user(username: "x") {{ {inner} }} }}'

    assert (await api.post(nested(2))).status_code == 200
    response = await api.post(nested(3))
    assert response.status_code == 400
    assert "exceeds maximum operation depth" in response.json()["errors"][0]["message"]
