"""A field error that nulls one branch must not cancel what another branch still waits for.

graphql-core cancels the sibling tasks of a non-null field that failed. A sibling awaiting a
DataLoader future that other fields share would cancel the shared future with it, and the
CancelledError escaped the request as an HTTP 500.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.helpers import LIKE, create_post

if TYPE_CHECKING:
    import httpx

    from tests.helpers import Api

QUERY = """query($p: ID!) {
  a: post(id: $p) { likeCount viewerHasLiked author { followerCount } comments(first: 1, after: "junk") { edges { cursor } } }
  b: post(id: $p) { likeCount viewerHasLiked author { followerCount } }
}"""


async def test_a_failed_branch_leaves_shared_loads_to_the_other_branch(
    api: Api, http: httpx.AsyncClient
) -> None:
    author = await api.new_user("author")
    reader = await api.new_user("reader")
    post = await create_post(api, author, "shared loads")
    await api.gql(LIKE, {"p": post}, token=reader.token)
    for _ in range(5):
        response = await http.post(
            "/graphql",
            json={"query": QUERY, "variables": {"p": post}},
            headers={"Authorization": f"Bearer {reader.token}", "Accept": "application/json"},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["data"]["a"] is None
        assert [error["extensions"]["code"] for error in body["errors"]] == ["INVALID_CURSOR"]
        assert body["data"]["b"] == {"likeCount": 1, "viewerHasLiked": True, "author": {"followerCount": 0}}
