"""Follows, posts, likes, comments and counters: the services' own queries on every backend."""

from __future__ import annotations

from typing import Any

import pytest
from argon2 import PasswordHasher

from services.accounts.users import UserService
from services.counters.service import POST, USER, CounterService
from services.engagement.comments import CommentService
from services.engagement.likes import LikeService
from services.foundation.clock import utc_now
from services.foundation.events import EventBus
from services.foundation.ids import MAX_ID, IdGenerator
from services.posts.service import PostService, PostStatus
from services.posts.store import PostStore
from services.social.follows import FollowService
from tests.contract.privacy_graph import privacy_graph


class NoQueue:
    """Flushes are driven by hand here; enqueueing is covered by the API tests."""

    async def enqueue(self, *args: Any, **kwargs: Any) -> bool:
        del args, kwargs
        return True


def register_exact_counts(
    counters: CounterService,
    posts: PostService,
    follows: FollowService,
    likes: LikeService,
    comments: CommentService,
) -> None:
    """What services/reactions.py registers in the app: how the flush recounts each field."""
    counters.register_exact(USER, "posts", posts.exact_post_counts)
    counters.register_exact(USER, "followers", follows.exact_followers)
    counters.register_exact(USER, "following", follows.exact_following)
    counters.register_exact(POST, "likes", likes.exact_like_counts)
    counters.register_exact(POST, "comments", comments.exact_comment_counts)


@pytest.fixture
async def graph(contract_db: Any, contract_redis: Any) -> dict[str, Any]:
    ids = IdGenerator(node=2)
    bus = EventBus()
    users = UserService(
        contract_db, contract_redis, ids, PasswordHasher(time_cost=1, memory_cost=8192), bus=bus
    )
    counters = CounterService(contract_db, contract_redis, NoQueue(), bus=bus)  # type: ignore[arg-type]
    posts = PostService(
        PostStore(contract_db, contract_db.client["archive_" + contract_db.name], contract_redis),
        contract_redis,
        ids,
        users,
        counters,
        bus=bus,
    )
    follows = FollowService(contract_db, ids, users, counters, bus=bus)
    privacy = privacy_graph(contract_db, contract_redis, ids, users, follows, bus)
    policy = privacy.policy
    likes = LikeService(contract_db, contract_redis, ids, posts, counters, policy=policy, bus=bus)
    comments = CommentService(contract_db, ids, posts, counters, policy=policy, bus=bus)
    services: dict[str, Any] = {
        "users": users,
        "counters": counters,
        "posts": posts,
        "follows": follows,
        "likes": likes,
        "comments": comments,
    }
    register_exact_counts(counters, posts, follows, likes, comments)
    for service in [*services.values(), privacy.privacy]:
        await service.ensure_indexes()
    names = ["ann", "ben", "cat", "dan"]
    services["people"] = {name: (await users.sign_up(name, "password-1", None)).id for name in names}
    return services


async def test_follow_edges_and_pages(graph: dict[str, Any]) -> None:
    follows: FollowService = graph["follows"]
    p = graph["people"]
    assert await follows.follow(p["ben"], p["ann"]) is True
    assert await follows.follow(p["ben"], p["ann"]) is False
    assert await follows.follow(p["cat"], p["ann"]) is True
    assert await follows.follow(p["dan"], p["ann"]) is True
    assert await follows.follow(p["ann"], p["ben"]) is True
    page = await follows.followers(p["ann"], None, 2)
    assert [e.follower_id for e in page.items] == [p["dan"], p["cat"]]
    assert page.has_next
    rest = await follows.followers(p["ann"], page.items[-1].id, 2)
    assert [e.follower_id for e in rest.items] == [p["ben"]]
    assert not rest.has_next
    assert [e.followee_id for e in (await follows.following(p["ann"], None, 5)).items] == [p["ben"]]
    batch, next_key = await follows.follower_ids_after(p["ann"], None, 2)
    assert batch == [p["dan"], p["cat"]]
    assert next_key is not None
    tail, end = await follows.follower_ids_after(p["ann"], next_key, 2)
    assert (tail, end) == ([p["ben"]], None)
    assert await follows.follows_which(p["ben"], [p["ann"], p["cat"]]) == {p["ann"]}
    assert await follows.followed_by_which(p["ann"], [p["ben"], p["cat"], p["ann"]]) == {p["ben"], p["cat"]}
    assert await follows.followee_ids(p["ben"], 10) == [p["ann"]]
    assert await follows.exact_followers([p["ann"], p["dan"]]) == {p["ann"]: 3, p["dan"]: 0}
    assert await follows.unfollow(p["ben"], p["ann"]) is True
    assert await follows.unfollow(p["ben"], p["ann"]) is False
    assert await follows.exact_following([p["ben"]]) == {p["ben"]: 0}


async def test_posts_timeline_cache_and_delete(graph: dict[str, Any]) -> None:
    posts: PostService = graph["posts"]
    p = graph["people"]
    created = [await posts.create(p["ann"], f"#tag post {i} @ben") for i in range(5)]
    assert created[0].mention_ids == (p["ben"],)
    assert created[0].hashtags == ("tag",)
    page = await posts.author_posts(p["ann"], None, 3)
    assert [r.id for r in page.items] == [r.id for r in reversed(created)][:3]
    rest = await posts.author_posts(p["ann"], page.items[-1].id, 3)
    assert [r.id for r in rest.items] == [created[1].id, created[0].id]
    assert await posts.get_many([created[2].id, 12345]) == [created[2], None]
    deleted = await posts.delete(p["ann"], created[4].id)
    assert deleted.status is PostStatus.DELETED
    assert (await posts.get(created[4].id)).status is PostStatus.DELETED  # type: ignore[union-attr]
    assert [r.id for r in (await posts.author_posts(p["ann"], None, 10)).items] == [
        r.id for r in reversed(created[:4])
    ]
    assert await posts.exact_post_counts([p["ann"], p["ben"]]) == {p["ann"]: 4, p["ben"]: 0}


async def test_likes_comments_and_exact_counts(graph: dict[str, Any]) -> None:
    posts: PostService = graph["posts"]
    likes: LikeService = graph["likes"]
    comments: CommentService = graph["comments"]
    counters: CounterService = graph["counters"]
    p = graph["people"]
    post = await posts.create(p["ann"], "like me")
    for name in ("ben", "cat", "dan"):
        assert await likes.like(p[name], post.id) is True
    assert await likes.like(p["ben"], post.id) is False
    assert await likes.unlike(p["dan"], post.id) is True
    likers = await likes.likers(post.id, None, 10)
    assert [edge.user_id for edge in likers.items] == [p["cat"], p["ben"]]
    assert await likes.liked_which(p["ben"], [post.id, 999]) == {post.id}
    first = await comments.add(p["ben"], post.id, "first")
    second = await comments.add(p["cat"], post.id, "second")
    thread = await comments.thread(post.id, None, 1)
    assert [c.id for c in thread.items] == [first.id]
    assert thread.has_next
    assert [c.id for c in (await comments.thread(post.id, first.id, 5)).items] == [second.id]
    await comments.delete(p["ann"], first.id)
    assert await counters.flush() >= 1
    (post_counts,) = await counters.get_many(POST, [post.id])
    assert (post_counts["likes"], post_counts["comments"]) == (2, 1)
    (ann_counts,) = await counters.get_many(USER, [p["ann"]])
    assert ann_counts["posts"] == 1


async def test_archive_moves_and_reads_across_tiers(graph: dict[str, Any]) -> None:
    posts: PostService = graph["posts"]
    store = posts.store
    ann = graph["people"]["ann"]
    created = [await posts.create(ann, f"old post {i}") for i in range(5)]
    ids = [record.id for record in created]
    candidates = await store.archive_candidates(MAX_ID, utc_now(), 0, 10)
    assert [document["_id"] for document in candidates] == ids  # oldest first
    await store.move_to_archive(candidates[:3])
    await store.move_to_archive(candidates[:3])  # a repeated batch changes nothing
    hot = {row["_id"] for row in await store.hot.find({}, {"_id": 1}).to_list(None)}
    cold = {row["_id"] for row in await store.cold.find({}, {"_id": 1}).to_list(None)}
    assert (hot, cold) == (set(ids[3:]), set(ids[:3]))

    documents, archived = await store.find_many(ids)
    assert sorted(document["_id"] for document in documents) == ids
    assert archived == set(ids[:3])
    assert [row["_id"] for row in await store.page({"author_id": ann}, None, 10)] == ids[::-1]
    assert [row["_id"] for row in await store.page({"author_id": ann}, ids[3], 2)] == [ids[2], ids[1]]
    assert await store.count({"author_id": ann}) == 5
    assert await store.tier_counts() == {"hot": 2, "cold": 3}

    # A status change reaches an archived post; a repeated change reports nothing to change
    assert await store.set_status(ids[0], PostStatus.DELETED, {"deleted_at": utc_now()}) is not None
    assert await store.set_status(ids[0], PostStatus.DELETED, {}) is None

    # Promotion copies back with a mark, then deletes the cold copy
    promoted = await store.move_to_hot(ids[1], utc_now())
    assert promoted is not None
    assert await store.hot.count_documents({"_id": ids[1], "promoted_at": {"$exists": True}}) == 1
    assert await store.cold.count_documents({"_id": ids[1]}) == 0
    assert await store.move_to_hot(ids[1], utc_now()) is None
    # A promotion killed between its copy and its delete leaves a cold copy, which is dropped
    await store.cold.insert_one({**promoted, "_id": ids[1]})
    assert await store.drop_promoted_leftovers([ids[1], ids[2]]) == 1
    assert await store.cold.count_documents({}) == 2
