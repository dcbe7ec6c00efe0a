"""Posts: create, read, delete, hashtags and mentions, authorisation."""

from __future__ import annotations

from services.foundation.ids import MAX_ID
from tests.helpers import CREATE_POST, Api, create_post

POST = "query($id: ID!) { post(id: $id) { id caption hashtags mentions { username } state author { username } createdAt media { id } } }"
DELETE = "mutation($id: ID!) { deletePost(id: $id) { deletedPostId errors { field code } } }"


async def test_create_and_read_a_post(api: Api) -> None:
    author = await api.new_user("author")
    friend = await api.new_user("friend")
    caption = f"Sunset with @{friend.username} and @nobody_at_all #Sunset #travel #sunset #2024"
    post_id = await create_post(api, author, caption)
    post = (await api.gql(POST, {"id": post_id}))["post"]
    assert post["caption"] == caption
    assert post["hashtags"] == ["sunset", "travel"]
    assert post["mentions"] == [{"username": friend.username}]
    assert post["state"] == "VISIBLE"
    assert post["author"] == {"username": author.username}
    assert post["media"] == []


async def test_post_ids_grow_with_time_and_fit_in_a_double(api: Api) -> None:
    from resolvers.global_ids import parse_global_id

    author = await api.new_user()
    ids = [parse_global_id(await create_post(api, author, f"post {i}"))[1] for i in range(5)]
    assert ids == sorted(ids)
    assert len(set(ids)) == 5
    assert all(0 < i <= MAX_ID for i in ids)


async def test_caption_rules(api: Api) -> None:
    author = await api.new_user()
    too_long = (await api.gql(CREATE_POST, {"c": "x" * 2201}, token=author.token))["createPost"]
    assert too_long["errors"] == [
        {"field": "caption", "code": "TEXT_TOO_LONG", "message": "captions are at most 2200 characters"}
    ]
    assert (await api.gql(CREATE_POST, {"c": "x" * 2200}, token=author.token))["createPost"]["errors"] == []
    empty = (await api.gql(CREATE_POST, {"c": "   "}, token=author.token))["createPost"]
    assert empty["errors"][0]["code"] == "INVALID_INPUT"
    anonymous = (await api.gql(CREATE_POST, {"c": "hello"}))["createPost"]
    assert anonymous["errors"][0]["code"] == "UNAUTHENTICATED"


async def test_only_the_author_can_delete(api: Api) -> None:
    author = await api.new_user()
    other = await api.new_user()
    post_id = await create_post(api, author)
    refused = (await api.gql(DELETE, {"id": post_id}, token=other.token))["deletePost"]
    assert refused == {"deletedPostId": None, "errors": [{"field": None, "code": "FORBIDDEN"}]}
    assert (await api.gql(POST, {"id": post_id}))["post"]["id"] == post_id
    done = (await api.gql(DELETE, {"id": post_id}, token=author.token))["deletePost"]
    assert done == {"deletedPostId": post_id, "errors": []}
    errors = await api.gql_errors(POST, {"id": post_id})
    assert errors[0]["extensions"]["code"] == "NOT_FOUND"
    again = (await api.gql(DELETE, {"id": post_id}, token=author.token))["deletePost"]
    assert again["errors"][0]["code"] == "NOT_FOUND"


async def test_deleted_posts_leave_the_user_timeline(api: Api) -> None:
    author = await api.new_user()
    kept = await create_post(api, author, "kept")
    gone = await create_post(api, author, "gone")
    await api.gql(DELETE, {"id": gone}, token=author.token)
    query = (
        "query($u: String!) { user(username: $u) { postCount posts(first: 10) { edges { node { id } } } } }"
    )
    user = (await api.gql(query, {"u": author.username}))["user"]
    assert [e["node"]["id"] for e in user["posts"]["edges"]] == [kept]


async def test_ids_of_the_wrong_type_or_shape(api: Api) -> None:
    user = await api.new_user()
    wrong_type = await api.gql_errors(POST, {"id": user.id})
    assert wrong_type[0]["extensions"]["code"] == "INVALID_ID"
    malformed = await api.gql_errors(POST, {"id": "%%%"})
    assert malformed[0]["extensions"]["code"] == "INVALID_ID"
    from resolvers.global_ids import to_global_id

    unknown = await api.gql_errors(POST, {"id": to_global_id("Post", 424242)})
    assert unknown[0]["extensions"]["code"] == "NOT_FOUND"
    bad_delete = (await api.gql(DELETE, {"id": "nope"}, token=user.token))["deletePost"]
    assert bad_delete["errors"] == [{"field": "id", "code": "INVALID_ID"}]


async def test_post_is_a_node(api: Api) -> None:
    author = await api.new_user()
    post_id = await create_post(api, author, "node me")
    data = await api.gql("query($id: ID!) { node(id: $id) { ... on Post { caption } } }", {"id": post_id})
    assert data["node"] == {"caption": "node me"}
