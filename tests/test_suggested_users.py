"""Suggestions of whom to follow over real HTTP: friends of friends with their reason, then popular."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.helpers import Api, TestUser, follow

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    RunJobs = Callable[[], Awaitable[int]]

SUGGESTED = """query($first: Int!) { viewer { suggestedUsers(first: $first) {
  edges { reason mutualCount node { username } followedBy { username } } } } }"""


async def suggested(api: Api, user: TestUser, first: int = 10) -> list[dict[str, Any]]:
    data = await api.gql(SUGGESTED, {"first": first}, token=user.token)
    return [
        {
            "user": edge["node"]["username"],
            "reason": edge["reason"],
            "mutuals": edge["mutualCount"],
            "shown": [u["username"] for u in edge["followedBy"]],
        }
        for edge in data["viewer"]["suggestedUsers"]["edges"]
    ]


async def test_friends_of_friends_come_with_who_follows_them(api: Api, run_jobs: RunJobs) -> None:
    viewer = await api.new_user("viewer")
    ann, bob, cat, dan = [await api.new_user(name) for name in ("ann", "bob", "cat", "dan")]
    xavier, yann, zoe = [await api.new_user(name) for name in ("xavier", "yann", "zoe")]
    for followee in (ann, bob, cat, dan, zoe):  # dan is followed last: the most recent
        await follow(api, viewer, followee)
    for friend in (ann, bob, cat, dan):
        await follow(api, friend, xavier)
    await follow(api, ann, yann)
    await follow(api, cat, zoe)  # already followed by the viewer: not suggested
    await follow(api, bob, viewer)  # the viewer themself: never suggested
    await run_jobs()
    rows = await suggested(api, viewer)
    assert rows[:2] == [
        {
            "user": xavier.username,
            "reason": f"Followed by {dan.username} and 3 others",
            "mutuals": 4,
            "shown": [dan.username, cat.username, bob.username],
        },
        {
            "user": yann.username,
            "reason": f"Followed by {ann.username}",
            "mutuals": 1,
            "shown": [ann.username],
        },
    ]
    followed = {ann.username, bob.username, cat.username, dan.username, zoe.username, viewer.username}
    assert not followed & {row["user"] for row in rows}
    assert len(await suggested(api, viewer, first=1)) == 1


async def test_a_new_user_gets_popular_accounts(api: Api, run_jobs: RunJobs) -> None:
    star, rising = await api.new_user("star"), await api.new_user("rising")
    fans = [await api.new_user("fan") for _ in range(3)]
    for fan in fans:
        await follow(api, fan, star)
    await follow(api, fans[0], rising)
    await run_jobs()  # the counter flush ranks accounts by their settled follower counts
    newcomer = await api.new_user("newcomer")
    rows = await suggested(api, newcomer, first=2)
    assert [(row["user"], row["reason"], row["mutuals"]) for row in rows] == [
        (star.username, "Popular on Aperture", 0),
        (rising.username, "Popular on Aperture", 0),
    ]
    # Following someone who follows nobody yet: the rest of the page is still filled
    await follow(api, newcomer, rising)
    await run_jobs()
    rows = await suggested(api, newcomer, first=3)
    assert rows[0]["user"] == star.username
    assert rising.username not in {row["user"] for row in rows}
    assert newcomer.username not in {row["user"] for row in rows}


async def test_suggestions_are_private_and_bounded(api: Api) -> None:
    owner, other = await api.new_user("owner"), await api.new_user("other")
    query = "query($u: String!, $n: Int!) { user(username: $u) { suggestedUsers(first: $n) { edges { reason } } } }"
    for token in (other.token, None):
        body = (await api.post(query, {"u": owner.username, "n": 3}, token=token)).json()
        assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    for first in (0, 101):
        body = (await api.post(query, {"u": owner.username, "n": first}, token=owner.token)).json()
        assert [e["extensions"]["code"] for e in body["errors"]] == ["INVALID_PAGE_SIZE"]
