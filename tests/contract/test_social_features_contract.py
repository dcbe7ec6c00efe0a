"""Notifications, hashtags and the people graph reads: the services' own queries on every backend."""

from __future__ import annotations

from typing import Any

import pytest

from services.counters.service import NOTICE, CounterService
from services.engagement.comments import CommentService
from services.engagement.likes import LikeService
from services.hashtags.follows import HashtagFollows
from services.notifications.records import NotificationKind
from services.notifications.service import NotificationService
from services.notifications.sources import Contributions
from services.notifications.store import NotificationStore
from tests.contract.privacy_graph import core_services, privacy_graph
from tests.contract.test_social_contract import NoQueue, register_exact_counts


@pytest.fixture
async def world(contract_db: Any, contract_redis: Any) -> dict[str, Any]:
    core = core_services(contract_db, contract_redis, node=3)
    ids, bus, users, counters, posts, follows = (
        core.ids,
        core.bus,
        core.users,
        core.counters,
        core.posts,
        core.follows,
    )
    privacy = privacy_graph(contract_db, contract_redis, ids, users, follows, bus)
    policy = privacy.policy
    likes = LikeService(contract_db, contract_redis, ids, posts, counters, policy=policy, bus=bus)
    comments = CommentService(contract_db, ids, posts, counters, policy=policy, bus=bus)
    notifications = NotificationService(
        store=NotificationStore(contract_db, ids),
        contributions=Contributions(
            users=users, posts=posts, likes=likes, comments=comments, follows=follows, policy=policy
        ),
        counters=counters,
        queue=NoQueue(),  # type: ignore[arg-type]
        redis=contract_redis,
        groups_kept=3,
    )
    tags = HashtagFollows(contract_db, contract_redis, ids)
    # The privacy collections too: the stand-in on SQLite must not open a new file mid-test
    for service in (users, posts, follows, privacy.privacy, likes, comments, notifications, tags):
        await service.ensure_indexes()
    register_exact_counts(counters, posts, follows, likes, comments)
    counters.register_exact(NOTICE, "activities", notifications.exact_counts)
    people = {
        name: (await users.sign_up(name, "password-1", None)).id for name in ("ann", "ben", "cat", "dan")
    }
    return {"posts": posts, "follows": follows, "likes": likes, "comments": comments, "counters": counters,
            "notifications": notifications, "tags": tags, "people": people}  # fmt: skip


async def test_notification_groups_undo_bound_and_read_mark(world: dict[str, Any]) -> None:
    p, posts, likes = world["people"], world["posts"], world["likes"]
    notifications: NotificationService = world["notifications"]
    counters: CounterService = world["counters"]
    first = await posts.create(p["ann"], "first #Tag")
    for name in ("ben", "cat", "dan"):
        await likes.like(p[name], first.id)
        await notifications.sync_like(first.id, p[name])
    await notifications.sync_like(first.id, p["dan"])  # a retry changes nothing
    page = await notifications.page(p["ann"], None, 10)
    (group,) = page.items
    assert (group.kind, group.post_id, group.actor_ids) == (
        NotificationKind.LIKE,
        first.id,
        (p["dan"], p["cat"], p["ben"]),
    )
    await counters.flush()
    assert await notifications.activity_counts([group]) == [3]
    await likes.unlike(p["dan"], first.id)
    await notifications.sync_like(first.id, p["dan"])
    (group,) = (await notifications.page(p["ann"], None, 10)).items
    assert group.actor_ids == (p["cat"], p["ben"])
    await counters.flush()
    assert await notifications.activity_counts([group]) == [2]
    # Read mark: forward only; the upsert that would move it back collides and is ignored
    assert await notifications.unread_count(p["ann"]) == 1
    assert await notifications.mark_read(p["ann"], None) == 0
    assert await notifications.mark_read(p["ann"], 1) == 0
    # The bound: a fourth group pushes out the oldest
    for n in range(3):
        post = await posts.create(p["ann"], f"more {n}")
        await likes.like(p["ben"], post.id)
        await notifications.sync_like(post.id, p["ben"])
    kept = (await notifications.page(p["ann"], None, 10)).items
    assert len(kept) == 3
    assert first.id not in {g.post_id for g in kept}


async def test_follow_groups_comment_mentions_and_forgetting_a_post(world: dict[str, Any]) -> None:
    p, posts, follows, comments = world["people"], world["posts"], world["follows"], world["comments"]
    notifications: NotificationService = world["notifications"]
    for name in ("ben", "cat"):
        await follows.follow(p[name], p["ann"])
        await notifications.sync_follow(p[name], p["ann"])
    (followed,) = (await notifications.page(p["ann"], None, 10)).items
    assert (followed.kind, followed.post_id, followed.actor_ids) == (
        NotificationKind.FOLLOW,
        None,
        (p["cat"], p["ben"]),
    )
    post = await posts.create(p["ann"], "hello @dan")
    await notifications.sync_caption(post.id)
    comment = await comments.add(p["ben"], post.id, "hi @cat")
    await notifications.sync_comment(comment.id, post.id)
    assert [g.kind for g in (await notifications.page(p["dan"], None, 5)).items] == [NotificationKind.MENTION]
    assert [g.kind for g in (await notifications.page(p["cat"], None, 5)).items] == [NotificationKind.MENTION]
    await notifications.forget_post(post.id)
    for name in ("cat", "dan"):
        assert (await notifications.page(p[name], None, 5)).items == []
    assert [g.kind for g in (await notifications.page(p["ann"], None, 5)).items] == [NotificationKind.FOLLOW]


async def test_hashtag_follows_tagged_posts_and_graph_reads(world: dict[str, Any]) -> None:
    p, posts, follows, likes = world["people"], world["posts"], world["follows"], world["likes"]
    tags: HashtagFollows = world["tags"]
    assert await tags.follow(p["ann"], "tea") is True
    assert await tags.follow(p["ann"], "tea") is False
    await tags.follow(p["ann"], "café")
    assert await tags.tags_of(p["ann"]) == ["café", "tea"]
    assert [f.tag for f in (await tags.page(p["ann"], None, 1)).items] == ["café"]
    assert await tags.unfollow(p["ann"], "café") is True
    assert await tags.tags_of(p["ann"]) == ["tea"]
    tagged = [await posts.create(p["ben"], f"#Tea {n}") for n in range(3)]
    await posts.create(p["ben"], "#coffee")
    assert await posts.tagged_ids_before("tea", None, 2) == [tagged[2].id, tagged[1].id]
    assert await posts.tagged_ids_before("tea", tagged[1].id, 5) == [tagged[0].id]
    await follows.follow(p["ann"], p["ben"])
    await follows.follow(p["cat"], p["ben"])
    edge = await follows.edge(p["ann"], p["ben"])
    assert edge is not None and edge.followee_id == p["ben"]
    assert await follows.edge(p["ben"], p["ann"]) is None
    recent = await follows.recent_edges_of([p["ann"], p["cat"]], 10)
    assert [e.follower_id for e in recent] == [p["cat"], p["ann"]]
    await likes.like(p["cat"], tagged[0].id)
    like = await likes.get(tagged[0].id, p["cat"])
    assert like is not None and like.user_id == p["cat"]
    assert await likes.get(tagged[0].id, p["dan"]) is None
