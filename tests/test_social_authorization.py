"""Who may read or do what on the social surface: one matrix, every new field, three callers."""

from __future__ import annotations

import pytest

from tests.helpers import Api

# Fields of a user that only the user may read
PRIVATE_FIELDS = {
    "notifications": "notifications(first: 3) { edges { node { kind } } }",
    "unreadNotificationCount": "unreadNotificationCount",
    "followedHashtags": "followedHashtags(first: 3) { edges { node { name } } }",
    "suggestedUsers": "suggestedUsers(first: 3) { edges { reason } }",
    "followRequests": "followRequests(first: 3) { edges { node { username } } }",
    "blockedUsers": "blockedUsers(first: 3) { edges { node { username } } }",
    "mutedUsers": "mutedUsers(first: 3) { edges { node { username } } }",
}
# Root fields anyone may read, signed in or not
PUBLIC_QUERIES = {
    "hashtag": '{ hashtag(name: "tea") { name viewerFollows posts(first: 2) { edges { node { id } } } } }',
    "searchUsers": '{ searchUsers(query: "ab", first: 2) { edges { node { username } } } }',
    "trendingHashtags": "{ trendingHashtags(first: 2) { edges { authorCount } } }",
}
# Mutations that need a signed-in user, reported as payload errors
MUTATIONS = {
    "markNotificationsRead": "mutation { markNotificationsRead { unreadCount errors { code } } }",
    "followHashtag": 'mutation { followHashtag(name: "tea") { changed errors { code } } }',
    "unfollowHashtag": 'mutation { unfollowHashtag(name: "tea") { changed errors { code } } }',
}
# Mutations on another user that need a signed-in user (the target is filled in per test)
USER_MUTATIONS = {
    name: f"mutation($u: ID!) {{ {name}(userId: $u) {{ changed errors {{ code }} }} }}"
    for name in (
        "approveFollowRequest",
        "rejectFollowRequest",
        "cancelFollowRequest",
        "block",
        "unblock",
        "mute",
        "unmute",
    )
}
REPORTS = {
    "reportPost": "mutation($p: ID!) { reportPost(postId: $p, reason: SPAM) { reported errors { code } } }",
    "reportUser": "mutation($u: ID!) { reportUser(userId: $u, reason: SPAM) { reported errors { code } } }",
}


@pytest.mark.parametrize("field", sorted(PRIVATE_FIELDS))
@pytest.mark.parametrize("caller", ["owner", "other", "anonymous"])
async def test_private_user_fields(api: Api, field: str, caller: str) -> None:
    owner, other = await api.new_user("owner"), await api.new_user("other")
    token = {"owner": owner.token, "other": other.token, "anonymous": None}[caller]
    query = f"query($u: String!) {{ user(username: $u) {{ username {PRIVATE_FIELDS[field]} }} }}"
    body = (await api.post(query, {"u": owner.username}, token=token)).json()
    if caller == "owner":
        assert "errors" not in body, body
        assert field in body["data"]["user"]
    else:
        assert [(e["extensions"]["code"], e["path"][-1]) for e in body["errors"]] == [("FORBIDDEN", field)]


@pytest.mark.parametrize("name", sorted(PUBLIC_QUERIES))
@pytest.mark.parametrize("signed_in", [True, False])
async def test_public_root_fields(api: Api, name: str, signed_in: bool) -> None:
    token = (await api.new_user("reader")).token if signed_in else None
    data = await api.gql(PUBLIC_QUERIES[name], token=token)
    assert name in data


@pytest.mark.parametrize("name", sorted(MUTATIONS))
async def test_mutations_need_a_signed_in_user(api: Api, name: str) -> None:
    anonymous = (await api.gql(MUTATIONS[name]))[name]
    assert anonymous["errors"] == [{"code": "UNAUTHENTICATED"}]
    user = await api.new_user("actor")
    assert (await api.gql(MUTATIONS[name], token=user.token))[name]["errors"] == []


@pytest.mark.parametrize("name", sorted(USER_MUTATIONS))
async def test_privacy_mutations_need_a_signed_in_user(api: Api, name: str) -> None:
    target, actor = await api.new_user("target"), await api.new_user("actor")
    anonymous = (await api.gql(USER_MUTATIONS[name], {"u": target.id}))[name]
    assert anonymous["errors"] == [{"code": "UNAUTHENTICATED"}]
    signed_in = (await api.gql(USER_MUTATIONS[name], {"u": target.id}, token=actor.token))[name]
    assert signed_in["errors"] == []
    # Nothing was pending, blocked or muted before, so only block and mute change anything
    assert signed_in["changed"] is (name in {"block", "mute"})


@pytest.mark.parametrize("name", sorted(REPORTS))
async def test_reports_need_a_signed_in_user(api: Api, name: str) -> None:
    author, reporter = await api.new_user("author"), await api.new_user("reporter")
    post_id = (await api.gql('mutation { createPost(caption: "hi") { post { id } } }', token=author.token))[
        "createPost"
    ]["post"]["id"]
    variables = {"p": post_id} if name == "reportPost" else {"u": author.id}
    assert (await api.gql(REPORTS[name], variables))[name]["errors"] == [{"code": "UNAUTHENTICATED"}]
    assert (await api.gql(REPORTS[name], variables, token=reporter.token))[name] == {
        "reported": True,
        "errors": [],
    }
