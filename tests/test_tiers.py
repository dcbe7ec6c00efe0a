"""Hot and cold tiers: quiet old posts are archived, reads stay transparent, popular ones come back."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import TYPE_CHECKING

from resolvers.global_ids import parse_global_id
from services.archive.job_names import ArchiveJob
from services.posts.records import PostStatus
from services.posts.store import CEILING_KEY, PostStore
from tests.helpers import LIKE, Api, create_post, follow

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from services.container import Services

    RunJobs = Callable[[], Awaitable[int]]

POST = "query($id: ID!) { post(id: $id) { id caption likeCount author { username } } }"
TIMELINE = """query($u: String!, $after: String) { user(username: $u) {
  posts(first: 2, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } } }"""
HOME = "{ viewer { homeTimeline(first: 20) { edges { node { id } } } } }"


def raw(global_id: str) -> int:
    return parse_global_id(global_id)[1]


async def tiers(services: Services, post_ids: list[str]) -> tuple[set[str], set[str]]:
    ids = [raw(p) for p in post_ids]
    hot = {row["_id"] for row in await services.posts.store.hot.find({"_id": {"$in": ids}}).to_list(None)}
    cold = {row["_id"] for row in await services.posts.store.cold.find({"_id": {"$in": ids}}).to_list(None)}
    return {p for p in post_ids if raw(p) in hot}, {p for p in post_ids if raw(p) in cold}


async def archive_now(
    services: Services, run_jobs: RunJobs, max_engagement: int = 1, age_s: float = 0
) -> None:
    await services.queue.enqueue(ArchiveJob.ARCHIVE_POSTS, age_s, max_engagement)
    await run_jobs()


async def scroll(api: Api, username: str) -> list[str]:
    seen: list[str] = []
    after = None
    while True:
        page = (await api.gql(TIMELINE, {"u": username, "after": after}))["user"]["posts"]
        seen += [edge["node"]["id"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return seen
        after = page["pageInfo"]["endCursor"]


async def test_quiet_old_posts_move_to_the_archive_and_reads_stay_transparent(
    api: Api, services: Services, run_jobs: RunJobs
) -> None:
    author = await api.new_user("author")
    reader = await api.new_user("reader")
    fans = [await api.new_user("fan") for _ in range(2)]
    await follow(api, reader, author)
    await api.gql(HOME, token=reader.token)
    posts = [await create_post(api, author, f"post {i}") for i in range(5)]
    for fan in fans:  # two likes: above the engagement threshold of 1, so it stays hot
        await api.gql(LIKE, {"p": posts[2]}, token=fan.token)
    await run_jobs()
    await services.stores.redis.flushdb()  # cold caches: the reads below must reach the tiers

    await archive_now(services, run_jobs)
    hot, cold = await tiers(services, posts)
    assert hot == {posts[2]}
    assert cold == set(posts) - {posts[2]}
    assert await services.archive.tier_counts() == {"hot": 1, "cold": 4}

    for post_id in posts:
        post = (await api.gql(POST, {"id": post_id}))["post"]
        assert post["id"] == post_id
    assert await scroll(api, author.username) == list(reversed(posts)), "one timeline across both tiers"
    reader = await api.new_user("reader")  # the flush took the old session
    await follow(api, reader, author)
    await run_jobs()
    home = (await api.gql(HOME, token=reader.token))["viewer"]["homeTimeline"]["edges"]
    assert [edge["node"]["id"] for edge in home] == list(reversed(posts))
    # An archived post can still be liked, and deleted by its author
    await api.gql(LIKE, {"p": posts[0]}, token=fans[0].token)
    assert (await api.gql(POST, {"id": posts[0]}))["post"]["likeCount"] == 1
    deleted = await api.gql(
        "mutation($id: ID!) { deletePost(id: $id) { errors { code } } }", {"id": posts[1]}, token=author.token
    )
    assert deleted["deletePost"]["errors"] == []
    assert (await api.post(POST, {"id": posts[1]})).json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_archival_is_idempotent_and_resumable(api: Api, services: Services, run_jobs: RunJobs) -> None:
    author = await api.new_user("author")
    posts = [await create_post(api, author, f"p{i}") for i in range(7)]
    await run_jobs()
    first = await services.archive.run(age=timedelta(0), max_engagement=5, batch=2, max_batches=2)
    assert (first.archived, first.finished) == (4, False), "bounded: two batches of two"
    await run_jobs()  # the run queued its own continuation
    hot, cold = await tiers(services, posts)
    assert (hot, cold) == (set(), set(posts))
    again = await services.archive.run(age=timedelta(0), max_engagement=5)
    assert (again.archived, again.finished) == (0, True)


async def test_a_popular_archived_post_is_promoted_back(
    api: Api, services: Services, run_jobs: RunJobs
) -> None:
    author = await api.new_user("author")
    post_id = await create_post(api, author, "an old favourite")
    await run_jobs()
    await asyncio.sleep(3.5)
    await archive_now(services, run_jobs, age_s=1)
    assert await tiers(services, [post_id]) == (set(), {post_id})
    for _ in range(3):  # promote_after_reads is 3 in the test settings; reads after the first hit the cache
        await api.gql(POST, {"id": post_id})
    await run_jobs()
    assert await tiers(services, [post_id]) == ({post_id}, set())
    # Older than the archive age, but promoted within it (3 s leaves room for a slow machine
    # between the promotion and this run), so the next archival leaves it hot
    await archive_now(services, run_jobs, age_s=3)
    assert await tiers(services, [post_id]) == ({post_id}, set())


async def test_interrupted_moves_resolve_without_loss_or_duplicates(
    api: Api, services: Services, run_jobs: RunJobs
) -> None:
    author = await api.new_user("author")
    posts = [await create_post(api, author, f"p{i}") for i in range(3)]
    await run_jobs()
    store = services.posts.store
    # A run killed between the copy and the delete leaves the post in both tiers
    document = await store.hot.find_one({"_id": raw(posts[0])})
    assert document is not None
    await services.stores.redis.set(CEILING_KEY, raw(posts[0]))
    await store.cold.replace_one({"_id": document["_id"]}, document, upsert=True)
    assert await scroll(api, author.username) == list(reversed(posts)), "readers see it once"
    await archive_now(services, run_jobs, max_engagement=5)
    hot, cold = await tiers(services, posts)
    assert hot == set()
    assert cold == set(posts)


async def test_another_process_finds_a_just_archived_post_despite_its_cached_ceiling(
    api: Api, services: Services, run_jobs: RunJobs
) -> None:
    author = await api.new_user("author")
    post_id = await create_post(api, author, "soon archived")
    await run_jobs()
    stores = services.stores
    elsewhere = PostStore(stores.db, stores.archive_db, stores.redis)  # another API process
    assert await elsewhere.archive_ceiling() == 0  # read now, cached for a while
    await archive_now(services, run_jobs)
    assert (await tiers(services, [post_id]))[1] == {post_id}
    documents, cold_ids = await elsewhere.find_many([raw(post_id)])
    assert [document["_id"] for document in documents] == [raw(post_id)]
    assert cold_ids == {raw(post_id)}
    # A write by id reaches it too
    assert await elsewhere.set_status(raw(post_id), PostStatus.DELETED, {}) is not None


async def test_another_process_pages_through_posts_archived_a_moment_ago(
    api: Api, services: Services, run_jobs: RunJobs
) -> None:
    author = await api.new_user("author")
    posts = [await create_post(api, author, f"p{i}") for i in range(4)]
    await run_jobs()
    stores = services.stores
    elsewhere = PostStore(stores.db, stores.archive_db, stores.redis)  # another API process
    assert await elsewhere.archive_ceiling() == 0  # read now, cached for a while
    await archive_now(services, run_jobs)
    assert (await tiers(services, posts))[1] == set(posts)
    rows = await elsewhere.page({"author_id": raw(author.id)}, None, 10)
    assert [row["_id"] for row in rows] == [raw(p) for p in reversed(posts)]
