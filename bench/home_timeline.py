"""Home timeline benchmark: fan-out throughput, HTTP read latency, hybrid vs naive, createPost, scale.

Builds a synthetic network with a power-law follower distribution (accounts with 100k+
followers included) on the embedded stack (real Redis, the MongoDB stand-in in memory,
uvicorn in this process), then prints one JSON document with the machine, the settings
and every figure. HTTP load comes from wrk (apt-get install wrk) on the other core.

    .venv/bin/python -m bench.home_timeline            # full size, a few minutes
    .venv/bin/python -m bench.home_timeline --quick    # small, for a smoke run
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import heapq
import random
import time
from datetime import timedelta
from typing import Any

from bench.common import (
    Stack,
    embedded_stack,
    emit,
    machine,
    redis_benchmark_zadd,
    summarize_ms,
    time_calls,
    wrk_graphql,
)
from bench.home_network import build_network, drain, fill_feeds, insert_chunks
from services.foundation.clock import utc_now
from services.foundation.ids import id_floor_for
from services.social.follows import edge_document
from services.timeline.events import FanoutFinished
from services.timeline.feed_store import SENTINEL, active_key, feed_key
from services.timeline.presence import live_key
from services.timeline.user_classes import FAMOUS

SIZES: dict[str, dict[str, Any]] = {
    "full": {
        "users": 120_000,
        "mean_follows": 15,
        "mega_followers": 110_000,
        "famous_threshold": 50_000,
        "fill_posts": 5_000,
        "readers": 300,
        "million_followers": 1_000_000,
        "total_posts": [10_000, 1_000_000],
        "seconds": 15,
    },
    "quick": {
        "users": 3_000,
        "mean_follows": 10,
        "mega_followers": 2_500,
        "famous_threshold": 1_000,
        "fill_posts": 400,
        "readers": 50,
        "million_followers": 20_000,
        "total_posts": [2_000, 20_000],
        "seconds": 3,
    },
}
HOME_QUERY = """query Home { viewer { homeTimeline(first: 20) { edges { cursor node {
  id caption createdAt likeCount commentCount viewerHasLiked
  author { id username displayName }
  media { id type url(size: MEDIUM) blurhash }
} } pageInfo { hasNextPage endCursor } } } }"""
# The other reads a client makes on every screen, with the same post selection
USER_QUERY = """query Profile($username: String!) { user(username: $username) { id username displayName
  posts(first: 20) { edges { cursor node {
    id caption createdAt likeCount commentCount viewerHasLiked
    author { id username displayName }
    media { id type url(size: MEDIUM) blurhash }
  } } pageInfo { hasNextPage endCursor } } } }"""
POST_QUERY = """query Post($id: ID!) { post(id: $id) {
  id caption createdAt likeCount commentCount viewerHasLiked
  author { id username displayName }
  media { id type url(size: MEDIUM) blurhash }
} }"""


def log(message: str) -> None:
    print(f"# {time.strftime('%H:%M:%S')} {message}", flush=True)


async def fanout_throughput(stack: Stack, network: dict[str, Any]) -> dict[str, Any]:
    services = stack.services
    famous = set(network["famous"])
    pushed_authors = sorted(
        ((n, uid) for uid, n in network["followers"].items() if uid not in famous), reverse=True
    )[:5]
    entries = sum(n + 1 for n, _ in pushed_authors)
    lags: list[float] = []
    stop_listening = services.bus.subscribe(FanoutFinished, lambda event: lags.append(event.lag_s))
    started = time.perf_counter()
    for _, author in pushed_authors:
        await services.posts.create(author, "fan-out benchmark post")
    await drain(stack)
    elapsed = time.perf_counter() - started
    stop_listening()
    # The Redis stage alone: pushing one post into 1,000-follower chunks of throwaway feeds
    chunk = [10**14 + i for i in range(1000)]
    async with services.stores.redis.pipeline(transaction=False) as pipe:
        for uid in chunk:
            pipe.zadd(feed_key(uid), {SENTINEL: 0})
            pipe.set(active_key(uid), 1, ex=3600)
        await pipe.execute()
    push_started = time.perf_counter()
    rounds = 50
    for i in range(rounds):
        await services.home._store.push(chunk, 10**12 + i, 1, cap=stack.settings.feed_cap, live_key=live_key)
    push_elapsed = time.perf_counter() - push_started
    return {
        "authors_follower_counts": [n for n, _ in pushed_authors],
        "feed_entries": entries,
        "seconds": round(elapsed, 3),
        "entries_per_s": round(entries / elapsed),
        "fanout_lag_s_max": round(max(lags), 3) if lags else None,
        "redis_push_stage_entries_per_s": round(rounds * len(chunk) / push_elapsed),
        "note": "end to end includes paging the follower index on the MongoDB stand-in",
    }


async def http_reads(stack: Stack, readers: list[tuple[int, str]], seconds: float) -> dict[str, Any]:
    import httpx  # noqa: PLC0415

    tokens = [token for _, token in readers]
    posts: set[str] = set()
    authors: set[str] = set()
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=30) as client:
        for token in tokens:  # warm every session and check the answer is a full, error-free page
            response = await client.post(
                "/graphql", json={"query": HOME_QUERY}, headers={"Authorization": f"Bearer {token}"}
            )
            body = response.json()
            assert "errors" not in body, body
            edges = body["data"]["viewer"]["homeTimeline"]["edges"]
            assert len(edges) == 20
            posts.update(edge["node"]["id"] for edge in edges)
            authors.update(edge["node"]["author"]["username"] for edge in edges)
    home = await wrk_graphql(stack.base_url, [{"query": HOME_QUERY}], tokens, connections=32, seconds=seconds)
    typename = await wrk_graphql(
        stack.base_url, [{"query": "{ __typename }"}], [], connections=32, seconds=seconds
    )
    profiles = [{"query": USER_QUERY, "variables": {"username": name}} for name in sorted(authors)[:200]]
    user = await wrk_graphql(stack.base_url, profiles, tokens, connections=32, seconds=seconds)
    singles = [{"query": POST_QUERY, "variables": {"id": post_id}} for post_id in sorted(posts)[:200]]
    post = await wrk_graphql(stack.base_url, singles, tokens, connections=32, seconds=seconds)
    return {
        "home_timeline_20_hydrated": home,
        "typename_baseline": typename,
        "user_timeline_20_hydrated": user,
        "post_by_id": post,
    }


async def naive_vs_hybrid(
    stack: Stack, network: dict[str, Any], authors_with_posts: list[int], rng: random.Random
) -> dict[str, Any]:
    services = stack.services
    famous = set(network["famous"])
    pool = [a for a in authors_with_posts if a not in famous]
    results: dict[str, Any] = {}
    for following in (100, 1000):
        reader = services.ids.next_id()
        await services.stores.db["users"].insert_one(
            {"_id": reader, "username": f"reader{following}", "display_name": "r", "bio": "",
             "password_hash": "-", "created_at": utc_now()}
        )  # fmt: skip
        followees = rng.sample(pool, min(following, len(pool)))
        await insert_chunks(
            services.stores.db["follows"],
            [edge_document(reader, f, services.ids.next_id(), utc_now()) for f in followees],
        )
        await services.home.page(reader, None, 20)  # the first read rebuilds the feed, with bounded work

        async def hybrid(reader: int = reader) -> Any:
            return await services.home.page(reader, None, 20)

        async def naive(reader: int = reader) -> Any:
            # The seeds' naive design: one follow query, one post query per followee, merge, hydrate
            ids = await services.follows.followee_ids(reader, 5000)
            pages = await asyncio.gather(*(services.posts.author_posts(a, None, 20) for a in [*ids, reader]))
            newest = heapq.nlargest(20, (r.id for page in pages for r in page.items))
            return await services.posts.get_many(newest)

        hybrid_page = await hybrid()
        naive_page = await naive()
        assert [r.id for r in hybrid_page.items] == [r.id for r in naive_page if r], "both strategies agree"
        repeat = 30 if following == 100 else 5
        hybrid_stats = summarize_ms(await time_calls(hybrid, 50))
        naive_stats = summarize_ms(await time_calls(naive, repeat))
        results[f"following_{following}"] = {
            "hybrid": hybrid_stats,
            "naive_fanout_on_read": naive_stats,
            "naive_over_hybrid_p50": round(naive_stats["p50_ms"] / hybrid_stats["p50_ms"], 1),
        }
    return results


async def create_post_latency(stack: Stack, network: dict[str, Any], size: dict[str, Any]) -> dict[str, Any]:
    import httpx  # noqa: PLC0415

    services = stack.services
    lonely = network["user_ids"][-1]
    star = services.ids.next_id()
    await services.stores.db["users"].insert_one(
        {
            "_id": star,
            "username": "millionaire",
            "display_name": "M",
            "bio": "",
            "password_hash": "-",
            "created_at": utc_now(),
        }
    )
    base = 10**13
    started = time.perf_counter()
    await insert_chunks(
        services.stores.db["follows"],
        [
            edge_document(base + i, star, services.ids.next_id(), utc_now())
            for i in range(size["million_followers"])
        ],
    )
    load_seconds = time.perf_counter() - started
    await services.stores.redis.sadd(FAMOUS, str(star))  # type: ignore[misc]
    mutation = 'mutation { createPost(caption: "benchmark #post") { post { id } errors { code } } }'
    results: dict[str, Any] = {"million_follower_edges_load_s": round(load_seconds, 1)}
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=30) as client:
        for label, author in (("author_0_followers", lonely), ("author_1m_followers", star)):
            token = await services.sessions.create(author)
            headers = {"Authorization": f"Bearer {token}"}

            async def create(headers: dict[str, str] = headers) -> None:
                body = (await client.post("/graphql", json={"query": mutation}, headers=headers)).json()
                assert body["data"]["createPost"]["errors"] == [], body

            await time_calls(create, 10)
            results[label] = summarize_ms(await time_calls(create, 200))
    results["followers_of_1m_author"] = size["million_followers"]
    results["note"] = "fan-out runs in jobs, so the request path does not depend on the follower count"
    return results


async def total_posts_scaling(
    stack: Stack, readers: list[tuple[int, str]], size: dict[str, Any], seconds: float
) -> dict[str, Any]:
    services = stack.services
    posts = services.stores.db["posts"]
    author_pool = [uid for uid, _ in readers]
    next_old_id = id_floor_for(utc_now() - timedelta(days=365))
    results: dict[str, Any] = {}
    tokens = [token for _, token in readers]
    for target in size["total_posts"]:
        current = await posts.estimated_document_count()
        missing = max(0, target - current)
        started = time.perf_counter()
        documents = []
        for i in range(missing):
            next_old_id += 1 << 11  # one per millisecond, a year ago: old posts below every feed window
            documents.append(
                {"_id": next_old_id, "author_id": author_pool[i % len(author_pool)], "caption": f"archive {i}",
                 "hashtags": [], "mention_ids": [], "status": "VISIBLE", "created_at": utc_now(), "media": []}
            )  # fmt: skip
        await insert_chunks(posts, documents)
        run = await wrk_graphql(
            stack.base_url, [{"query": HOME_QUERY}], tokens, connections=32, seconds=seconds
        )
        results[f"total_posts_{target}"] = {"load_seconds": round(time.perf_counter() - started, 1), **run}
    return results


async def main(mode: str) -> None:
    size = SIZES[mode]
    rng = random.Random(2026)
    result: dict[str, Any] = {"benchmark": "home_timeline", "mode": mode, "machine": machine()}
    # Rate limits off: 400 createPost calls by one author would exceed the post budget, and the
    # gateway's own cost is measured by bench/gateway_limits.py
    # Counter flushes wait past the run (as in bench/live.py): on the embedded stand-in, recounting
    # followers scans the network's 1.5M follow edges in the engine's thread, holding the GIL
    # (a real MongoDB counts on its index, in its own process), which the reads would measure
    async with embedded_stack(
        famous_threshold=size["famous_threshold"],
        fanout_batch_size=1000,
        rate_limits="off",
        counter_flush_delay_s=3600.0,
    ) as stack:
        result["settings"] = {
            "size": size,
            "feed_cap": stack.settings.feed_cap,
            "recent_cap": stack.settings.recent_cap,
            "fanout_batch_size": stack.settings.fanout_batch_size,
            "fanout_page_size": stack.settings.fanout_page_size,
            "mongodb": "litemongo in memory (embedded stand-in)",
            "api": "one uvicorn process (uvloop, httptools) sharing the machine with wrk; RATE_LIMITS=off",
        }
        log("building the network")
        network = await build_network(stack.services, size, rng)
        result["network"] = network["summary"]
        # The benchmark's own copy of the network (1.5M follow edges as Python objects) would not
        # be in a server's process: out of its collector's view, as the server's startup objects are
        gc.freeze()
        log("fan-out throughput")
        result["fanout"] = await fanout_throughput(stack, network)
        result["redis_benchmark_zadd_pipelined"] = redis_benchmark_zadd(stack.redis_socket)
        zadd = result["redis_benchmark_zadd_pipelined"].get("zadd_per_s")
        if zadd:
            result["fanout"]["ratio_to_redis_benchmark_zadd"] = round(
                result["fanout"]["entries_per_s"] / zadd, 3
            )
            result["fanout"]["push_stage_ratio_to_redis_benchmark_zadd"] = round(
                result["fanout"]["redis_push_stage_entries_per_s"] / zadd, 3
            )
        log("filling feeds")
        authors_with_posts, readers = await fill_feeds(stack, network, size, rng)
        result["readers"] = len(readers)
        log("HTTP reads")
        result["http"] = await http_reads(stack, readers, size["seconds"])
        home = result["http"]["home_timeline_20_hydrated"]
        typename = result["http"]["typename_baseline"]
        for name in ("home_timeline_20_hydrated", "user_timeline_20_hydrated", "post_by_id"):
            read = result["http"][name]
            if "req_per_s" in read and "req_per_s" in typename:
                read["over_typename_req_per_s"] = round(read["req_per_s"] / typename["req_per_s"], 3)
        if "req_per_s" in home and "req_per_s" in typename:
            result["http"]["home_over_typename_req_per_s"] = round(
                home["req_per_s"] / typename["req_per_s"], 3
            )
        log("hybrid vs naive")
        result["naive_vs_hybrid"] = await naive_vs_hybrid(stack, network, authors_with_posts, rng)
        log("createPost latency")
        result["create_post"] = await create_post_latency(stack, network, size)
        log("home timeline against total posts")
        result["home_by_total_posts"] = await total_posts_scaling(stack, readers, size, size["seconds"])
    emit(result)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    arguments = parser.parse_args()
    try:
        import uvloop
    except ImportError:  # pragma: no cover
        asyncio.run(main("quick" if arguments.quick else "full"))
    else:
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(main("quick" if arguments.quick else "full"))
