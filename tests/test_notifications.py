"""Grouped notifications over real HTTP, written by a real arq worker from the domains' events:
each kind, grouping, undo, deleted posts, read state, the per-user bound, retries."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from resolvers.global_ids import parse_global_id
from tests.helpers import DELETE_POST, LIKE, UNFOLLOW, UNLIKE, Api, TestUser, create_post, follow

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from services.container import Services

    RunJobs = Callable[[], Awaitable[int]]

NOTIFICATIONS = """query($first: Int!, $after: String) { viewer {
  unreadNotificationCount
  notifications(first: $first, after: $after) {
    edges { cursor node { id kind totalCount read day latestAt post { id } actors { username } } }
    pageInfo { hasNextPage endCursor }
  } } }"""
MARK_READ = (
    "mutation($upTo: String) { markNotificationsRead(upTo: $upTo) { unreadCount errors { field code } } }"
)
COMMENT = (
    "mutation($p: ID!, $t: String!) { addComment(postId: $p, text: $t) { comment { id } errors { code } } }"
)
DELETE_COMMENT = "mutation($id: ID!) { deleteComment(id: $id) { errors { code } } }"


async def groups(api: Api, user: TestUser, first: int = 20, after: str | None = None) -> list[dict[str, Any]]:
    data = await api.gql(NOTIFICATIONS, {"first": first, "after": after}, token=user.token)
    return [edge["node"] for edge in data["viewer"]["notifications"]["edges"]]


async def unread(api: Api, user: TestUser) -> int:
    data = await api.gql(NOTIFICATIONS, {"first": 1}, token=user.token)
    count: int = data["viewer"]["unreadNotificationCount"]
    return count


async def people(api: Api, count: int, prefix: str = "fan") -> list[TestUser]:
    return [await api.new_user(prefix) for _ in range(count)]


async def test_likes_on_a_post_are_one_group_with_the_newest_actors(api: Api, run_jobs: RunJobs) -> None:
    author = await api.new_user("author")
    post_id = await create_post(api, author, "sunset")
    fans = await people(api, 4)
    for fan in fans:
        await api.gql(LIKE, {"p": post_id}, token=fan.token)
    await run_jobs()
    (group,) = await groups(api, author)
    assert group["kind"] == "LIKE"
    assert group["post"] == {"id": post_id}
    assert group["totalCount"] == 4
    # "fan4 and 3 others": the newest distinct actors first, at most three
    assert [actor["username"] for actor in group["actors"]] == [fan.username for fan in reversed(fans)][:3]
    assert group["read"] is False
    assert await unread(api, author) == 1
    # The likers themselves heard nothing
    assert await groups(api, fans[0]) == []


async def test_an_unlike_takes_its_like_back_and_the_last_removes_the_group(
    api: Api, run_jobs: RunJobs
) -> None:
    author = await api.new_user("author")
    post_id = await create_post(api, author, "sunset")
    first_fan, last_fan = await people(api, 2)
    for fan in (first_fan, last_fan):
        await api.gql(LIKE, {"p": post_id}, token=fan.token)
    await run_jobs()
    await api.gql(UNLIKE, {"p": post_id}, token=last_fan.token)
    await run_jobs()
    (group,) = await groups(api, author)
    assert (group["totalCount"], [a["username"] for a in group["actors"]]) == (1, [first_fan.username])
    await api.gql(UNLIKE, {"p": post_id}, token=first_fan.token)
    await run_jobs()
    assert await groups(api, author) == []
    assert await unread(api, author) == 0


async def test_a_like_job_retried_after_the_unlike_leaves_nothing(
    api: Api, services: Services, run_jobs: RunJobs
) -> None:
    author, fan = await api.new_user("author"), await api.new_user("fan")
    post_id = await create_post(api, author, "sunset")
    await api.gql(LIKE, {"p": post_id}, token=fan.token)
    await run_jobs()
    await api.gql(UNLIKE, {"p": post_id}, token=fan.token)
    await run_jobs()
    # The like's job runs again late (a retry after a crash): it reads the like, finds none
    raw_post, raw_fan = parse_global_id(post_id)[1], parse_global_id(fan.id)[1]
    await services.notifications.sync_like(raw_post, raw_fan)
    assert await groups(api, author) == []
    # And a job repeated while the like stands changes nothing
    await api.gql(LIKE, {"p": post_id}, token=fan.token)
    await run_jobs()
    await services.notifications.sync_like(raw_post, raw_fan)
    await services.notifications.sync_like(raw_post, raw_fan)
    await run_jobs()  # the counter flush recounts
    (group,) = await groups(api, author)
    assert group["totalCount"] == 1


async def test_nobody_is_notified_of_their_own_doing(api: Api, run_jobs: RunJobs) -> None:
    author = await api.new_user("author")
    post_id = await create_post(api, author, f"talking to myself @{author.username}")
    await api.gql(LIKE, {"p": post_id}, token=author.token)
    await api.gql(COMMENT, {"p": post_id, "t": f"me again @{author.username}"}, token=author.token)
    await run_jobs()
    assert await groups(api, author) == []


async def test_comments_group_per_post_and_a_deleted_comment_is_taken_back(
    api: Api, run_jobs: RunJobs
) -> None:
    author = await api.new_user("author")
    post_id = await create_post(api, author, "thoughts?")
    fans = await people(api, 2)
    comment_ids = []
    for fan in fans:
        payload = (await api.gql(COMMENT, {"p": post_id, "t": "nice"}, token=fan.token))["addComment"]
        comment_ids.append(payload["comment"]["id"])
    await api.gql(COMMENT, {"p": post_id, "t": "so nice"}, token=fans[0].token)
    await run_jobs()
    (group,) = await groups(api, author)
    assert group["kind"] == "COMMENT"
    assert group["totalCount"] == 3
    # Distinct actors: fans[0] commented last, and is shown once
    assert [a["username"] for a in group["actors"]] == [fans[0].username, fans[1].username]
    await api.gql(DELETE_COMMENT, {"id": comment_ids[1]}, token=author.token)
    await run_jobs()
    (group,) = await groups(api, author)
    assert (group["totalCount"], [a["username"] for a in group["actors"]]) == (2, [fans[0].username])


async def test_mentions_in_captions_and_comments(api: Api, run_jobs: RunJobs) -> None:
    author, friend, commenter = (
        await api.new_user("author"),
        await api.new_user("friend"),
        await api.new_user("c"),
    )
    post_id = await create_post(api, author, f"with @{friend.username.upper()} today")
    await api.gql(
        COMMENT, {"p": post_id, "t": f"hi @{friend.username} and @{author.username}"}, token=commenter.token
    )
    await run_jobs()
    (mention,) = await groups(api, friend)
    assert mention["kind"] == "MENTION"
    assert mention["post"] == {"id": post_id}
    assert mention["totalCount"] == 2
    assert [a["username"] for a in mention["actors"]] == [commenter.username, author.username]
    # The post's author hears of the comment, not also of being mentioned in it
    assert [g["kind"] for g in await groups(api, author)] == ["COMMENT"]


async def test_new_followers_are_grouped_per_day_and_an_unfollow_is_taken_back(
    api: Api, run_jobs: RunJobs
) -> None:
    star = await api.new_user("star")
    fans = await people(api, 3)
    for fan in fans:
        await follow(api, fan, star)
    await run_jobs()
    (group,) = await groups(api, star)
    assert group["kind"] == "FOLLOW"
    assert group["post"] is None
    assert group["day"] == group["latestAt"][:10]
    assert group["totalCount"] == 3
    await api.gql(UNFOLLOW, {"u": fans[2].id}, token=fans[2].token)  # not following yourself: a no-op
    await api.gql(UNFOLLOW, {"u": star.id}, token=fans[2].token)
    await run_jobs()
    (group,) = await groups(api, star)
    assert group["totalCount"] == 2
    assert [a["username"] for a in group["actors"]] == [fans[1].username, fans[0].username]


async def test_a_deleted_post_takes_its_groups_with_it(api: Api, run_jobs: RunJobs) -> None:
    author, friend, fan = (
        await api.new_user("author"),
        await api.new_user("friend"),
        await api.new_user("fan"),
    )
    post_id = await create_post(api, author, f"with @{friend.username}")
    await api.gql(LIKE, {"p": post_id}, token=fan.token)
    await run_jobs()
    assert len(await groups(api, author)) == 1
    assert len(await groups(api, friend)) == 1
    await api.gql(DELETE_POST, {"id": post_id}, token=author.token)
    await run_jobs()
    assert await groups(api, author) == []
    assert await groups(api, friend) == []


async def test_read_state_moves_with_mark_read_and_new_activity(api: Api, run_jobs: RunJobs) -> None:
    author = await api.new_user("author")
    first_post, second_post = await create_post(api, author, "one"), await create_post(api, author, "two")
    fan = await api.new_user("fan")
    await api.gql(LIKE, {"p": first_post}, token=fan.token)
    await run_jobs()
    await api.gql(LIKE, {"p": second_post}, token=fan.token)
    await run_jobs()
    data = await api.gql(NOTIFICATIONS, {"first": 10}, token=author.token)
    edges = data["viewer"]["notifications"]["edges"]
    assert [edge["node"]["post"]["id"] for edge in edges] == [second_post, first_post]
    assert data["viewer"]["unreadNotificationCount"] == 2
    # Read up to the older group only
    marked = (await api.gql(MARK_READ, {"upTo": edges[1]["cursor"]}, token=author.token))[
        "markNotificationsRead"
    ]
    assert marked == {"unreadCount": 1, "errors": []}
    assert [g["read"] for g in await groups(api, author)] == [False, True]
    # Everything; and the mark never moves back
    assert (await api.gql(MARK_READ, {}, token=author.token))["markNotificationsRead"]["unreadCount"] == 0
    await api.gql(MARK_READ, {"upTo": edges[1]["cursor"]}, token=author.token)
    assert await unread(api, author) == 0
    # New activity on a read group makes it unread again, and moves it to the top
    other = await api.new_user("other")
    await api.gql(LIKE, {"p": first_post}, token=other.token)
    await run_jobs()
    newest = await groups(api, author)
    assert [(g["post"]["id"], g["read"], g["totalCount"]) for g in newest] == [
        (first_post, False, 2),
        (second_post, True, 1),
    ]
    assert await unread(api, author) == 1


async def test_pages_of_groups_have_no_gaps_or_repeats(api: Api, run_jobs: RunJobs) -> None:
    author, fan = await api.new_user("author"), await api.new_user("fan")
    post_ids = [await create_post(api, author, f"post {n}") for n in range(4)]
    for post_id in post_ids:
        await api.gql(LIKE, {"p": post_id}, token=fan.token)
        await run_jobs()
    seen: list[str] = []
    after = None
    while True:
        data = await api.gql(NOTIFICATIONS, {"first": 3, "after": after}, token=author.token)
        connection = data["viewer"]["notifications"]
        seen += [edge["node"]["post"]["id"] for edge in connection["edges"]]
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    assert seen == list(reversed(post_ids))


async def test_each_user_keeps_only_their_newest_groups(
    api: Api, services: Services, run_jobs: RunJobs
) -> None:
    kept = services.settings.notification_groups_kept
    author, fan = await api.new_user("author"), await api.new_user("fan")
    post_ids = [await create_post(api, author, f"post {n}") for n in range(kept + 2)]
    for post_id in post_ids:
        await api.gql(LIKE, {"p": post_id}, token=fan.token)
        await run_jobs()
    shown = [g["post"]["id"] for g in await groups(api, author, first=50)]
    assert shown == list(reversed(post_ids))[:kept]
    # The dropped groups' items went with them: nothing of the oldest posts is left
    oldest = parse_global_id(post_ids[0])[1]
    store = services.stores.db
    assert await store["notification_items"].count_documents({"post_id": oldest}) == 0
    assert (
        await store["notification_groups"].count_documents({"recipient_id": parse_global_id(author.id)[1]})
        == kept
    )


async def test_notifications_are_private_to_their_owner(api: Api, run_jobs: RunJobs) -> None:
    owner, other = await api.new_user("owner"), await api.new_user("other")
    await follow(api, other, owner)
    await run_jobs()
    query = """query($u: String!) { user(username: $u) { username
      notifications(first: 5) { edges { node { kind } } } } }"""
    count_query = "query($u: String!) { user(username: $u) { unreadNotificationCount } }"
    for token in (other.token, None):
        for text in (query, count_query):
            body = (await api.post(text, {"u": owner.username}, token=token)).json()
            assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"], body
    anonymous = (await api.gql(MARK_READ, {}))["markNotificationsRead"]
    assert anonymous["errors"] == [{"field": None, "code": "UNAUTHENTICATED"}]
    bad = (await api.gql(MARK_READ, {"upTo": "not-a-cursor"}, token=owner.token))["markNotificationsRead"]
    assert bad["errors"] == [{"field": "upTo", "code": "INVALID_CURSOR"}]
