"""Likes and comments: idempotence, connections, permissions and error codes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from resolvers.global_ids import to_global_id
from tests.helpers import LIKE, UNLIKE, Api, create_post

if TYPE_CHECKING:
    from services.container import Services

POST_STATE = """query($id: ID!) { post(id: $id) {
  likeCount commentCount viewerHasLiked
  likers(first: 10) { edges { node { username } } }
  comments(first: 10) { edges { node { text author { username } } } pageInfo { hasNextPage } }
} }"""
ADD = "mutation($p: ID!, $t: String!) { addComment(postId: $p, text: $t) { comment { id text } errors { field code } } }"
REMOVE = "mutation($id: ID!) { deleteComment(id: $id) { deletedCommentId errors { code } } }"
DELETE_POST = "mutation($id: ID!) { deletePost(id: $id) { errors { code } } }"


async def test_like_is_idempotent(api: Api, services: Services) -> None:
    author = await api.new_user()
    fan = await api.new_user()
    post_id = await create_post(api, author)
    results = [(await api.gql(LIKE, {"p": post_id}, token=fan.token))["likePost"] for _ in range(3)]
    assert [r["changed"] for r in results] == [True, False, False]
    state = (await api.gql(POST_STATE, {"id": post_id}, token=fan.token))["post"]
    assert (state["likeCount"], state["viewerHasLiked"]) == (1, True)
    assert state["likers"]["edges"] == [{"node": {"username": fan.username}}]
    assert (await api.gql(POST_STATE, {"id": post_id}, token=author.token))["post"]["viewerHasLiked"] is False
    assert await services.stores.db["likes"].count_documents({}) == 1
    unliked = [
        (await api.gql(UNLIKE, {"p": post_id}, token=fan.token))["unlikePost"]["changed"] for _ in range(2)
    ]
    assert unliked == [True, False]
    state = (await api.gql(POST_STATE, {"id": post_id}, token=fan.token))["post"]
    assert (state["likeCount"], state["viewerHasLiked"]) == (0, False)


async def test_liking_missing_or_deleted_posts(api: Api) -> None:
    author = await api.new_user()
    fan = await api.new_user()
    post_id = await create_post(api, author)
    await api.gql(DELETE_POST, {"id": post_id}, token=author.token)
    deleted = (await api.gql(LIKE, {"p": post_id}, token=fan.token))["likePost"]
    assert deleted["errors"] == [{"field": "postId", "code": "NOT_FOUND"}]
    unknown = (await api.gql(LIKE, {"p": to_global_id("Post", 77)}, token=fan.token))["likePost"]
    assert unknown["errors"] == [{"field": "postId", "code": "NOT_FOUND"}]
    malformed = (await api.gql(LIKE, {"p": "!!"}, token=fan.token))["likePost"]
    assert malformed["errors"] == [{"field": "postId", "code": "INVALID_ID"}]
    comment = (await api.gql(ADD, {"p": post_id, "t": "hi"}, token=fan.token))["addComment"]
    assert comment["errors"] == [{"field": "postId", "code": "NOT_FOUND"}]


async def test_comments_oldest_first_and_paged(api: Api) -> None:
    author = await api.new_user()
    fan = await api.new_user()
    post_id = await create_post(api, author)
    for i in range(12):
        await api.gql(ADD, {"p": post_id, "t": f"comment {i}"}, token=fan.token)
    state = (await api.gql(POST_STATE, {"id": post_id}))["post"]
    assert [e["node"]["text"] for e in state["comments"]["edges"]] == [f"comment {i}" for i in range(10)]
    assert state["comments"]["pageInfo"]["hasNextPage"] is True
    assert state["commentCount"] == 12


async def test_comment_rules_and_permissions(api: Api) -> None:
    author = await api.new_user()
    commenter = await api.new_user()
    stranger = await api.new_user()
    post_id = await create_post(api, author)
    too_long = (await api.gql(ADD, {"p": post_id, "t": "c" * 2201}, token=commenter.token))["addComment"]
    assert too_long["errors"] == [{"field": "text", "code": "TEXT_TOO_LONG"}]
    empty = (await api.gql(ADD, {"p": post_id, "t": "  "}, token=commenter.token))["addComment"]
    assert empty["errors"] == [{"field": "text", "code": "INVALID_INPUT"}]
    first = (await api.gql(ADD, {"p": post_id, "t": "first"}, token=commenter.token))["addComment"]["comment"]
    second = (await api.gql(ADD, {"p": post_id, "t": "second"}, token=commenter.token))["addComment"][
        "comment"
    ]
    refused = (await api.gql(REMOVE, {"id": first["id"]}, token=stranger.token))["deleteComment"]
    assert refused["errors"] == [{"code": "FORBIDDEN"}]
    by_commenter = (await api.gql(REMOVE, {"id": first["id"]}, token=commenter.token))["deleteComment"]
    assert by_commenter == {"deletedCommentId": first["id"], "errors": []}
    by_post_author = (await api.gql(REMOVE, {"id": second["id"]}, token=author.token))["deleteComment"]
    assert by_post_author["errors"] == []
    gone = (await api.gql(REMOVE, {"id": second["id"]}, token=author.token))["deleteComment"]
    assert gone["errors"] == [{"code": "NOT_FOUND"}]
    state = (await api.gql(POST_STATE, {"id": post_id}))["post"]
    assert (state["commentCount"], state["comments"]["edges"]) == (0, [])


async def test_comment_is_a_node_with_its_post(api: Api) -> None:
    author = await api.new_user()
    post_id = await create_post(api, author, "with comments")
    comment = (await api.gql(ADD, {"p": post_id, "t": "nice"}, token=author.token))["addComment"]["comment"]
    node = await api.gql(
        "query($id: ID!) { node(id: $id) { ... on Comment { text post { caption } author { username } } } }",
        {"id": comment["id"]},
    )
    assert node["node"] == {
        "text": "nice",
        "post": {"caption": "with comments"},
        "author": {"username": author.username},
    }


async def test_private_settings_are_visible_only_to_their_owner(api: Api) -> None:
    owner = await api.new_user()
    other = await api.new_user()
    query = "query($u: String!) { user(username: $u) { username settings { lastSeenAt } } }"
    mine = (await api.gql(query, {"u": owner.username}, token=owner.token))["user"]
    assert mine["settings"]["lastSeenAt"] is not None
    response = await api.post(query, {"u": owner.username}, token=other.token)
    body = response.json()
    assert body["data"]["user"] is None or body["data"]["user"]["settings"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    anonymous = (await api.post(query, {"u": owner.username})).json()
    assert anonymous["errors"][0]["extensions"]["code"] == "FORBIDDEN"
