"""Redis work and API CPU per home-timeline read over HTTP, for bench/fanout_workers.py: the
read side of the same Redis that the fan-out writes to.
"""

from __future__ import annotations

import resource
from typing import TYPE_CHECKING, Any

from bench.common import redis_cpu_s, serve_app, wrk_graphql
from bench.home_timeline import HOME_QUERY
from services.foundation.clock import utc_now
from services.timeline.feed_store import FeedStore, feed_key
from services.timeline.presence import live_key

if TYPE_CHECKING:
    from aperture.settings import Settings
    from services.container import Services


async def home_reads(
    settings: Settings, services: Services, graph: dict[str, Any], size: dict[str, Any]
) -> dict[str, Any]:
    import httpx  # noqa: PLC0415

    redis = services.stores.redis
    readers = graph["follower_ids"][: size["readers"]]
    # Full pages, as in bench/home_timeline.py: top the readers' feeds up to 20 posts with posts
    # pushed straight into them (their fan-out jobs stay queued; no worker runs at this point)
    missing = 21 - await redis.zcard(feed_key(readers[0]))
    store = FeedStore(redis, cluster=False)
    for index in range(max(0, missing)):
        post = await services.posts.create(graph["author_id"], f"top-up {index}")
        await store.push(readers, post.id, graph["author_id"], cap=settings.feed_cap, live_key=live_key)
    await services.stores.db["users"].insert_many(
        [{"_id": r, "username": f"reader{i}", "display_name": f"Reader {i}", "bio": "", "password_hash": "-",
          "created_at": utc_now()} for i, r in enumerate(readers)]
    )  # fmt: skip
    tokens = [await services.sessions.create(reader) for reader in readers]
    async with serve_app(settings, services) as base_url:
        async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
            for token in tokens:  # warm every session; the answer must be a full, error-free page
                response = await client.post(
                    "/graphql", json={"query": HOME_QUERY}, headers={"Authorization": f"Bearer {token}"}
                )
                body = response.json()
                assert "errors" not in body, body
                posts_per_page = len(body["data"]["viewer"]["homeTimeline"]["edges"])
                assert posts_per_page > 0
        stats_before = await redis.info("commandstats")
        commands_before = int((await redis.info("stats"))["total_commands_processed"])
        cpu_before = await redis_cpu_s(redis)
        api_before = resource.getrusage(resource.RUSAGE_SELF)
        run = await wrk_graphql(
            base_url, [{"query": HOME_QUERY}], tokens, connections=16, seconds=size["read_seconds"]
        )
        api_after = resource.getrusage(resource.RUSAGE_SELF)
        cpu_after = await redis_cpu_s(redis)
        commands = int((await redis.info("stats"))["total_commands_processed"]) - commands_before
        stats_after = await redis.info("commandstats")
    requests = run.get("requests", 0)
    if not requests:
        return {"wrk": run}
    calls = {
        name.removeprefix("cmdstat_"): (
            stats_after[name]["calls"] - stats_before.get(name, {"calls": 0})["calls"]
        )
        for name in stats_after
    }
    api_cpu = (api_after.ru_utime + api_after.ru_stime) - (api_before.ru_utime + api_before.ru_stime)
    redis_cpu = cpu_after["main_thread"] - cpu_before["main_thread"]
    return {
        "query": "homeTimeline(first: 20), hydrated as in bench/home_timeline.py",
        "posts_per_page": posts_per_page,
        "wrk": run,
        "redis_commands_per_read": round(commands / requests, 1),
        "redis_calls_per_read_by_command": {
            name: round(n / requests, 2) for name, n in sorted(calls.items(), key=lambda kv: -kv[1]) if n
        },
        "redis_cpu_us_per_read": round(redis_cpu / requests * 1e6, 1),
        "api_process_cpu_ms_per_read": round(api_cpu / requests * 1000, 2),
        "note": "API, wrk and Redis share the 2 cores; the API uses ~1 core, so req/s ~ 1000 / cpu_ms_per_read",
    }
