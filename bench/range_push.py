"""The range push (feed_scripts.PUSH_RANGE) alone: Redis CPU per feed entry into short and full
feeds, this commit's script against another revision's, pass by pass on one Redis.

bench/fanout_workers.py pushes into feeds of a few entries, as after a rebuild. In steady
state an active reader's feed is full (FEED_CAP entries, a skiplist), and a push into a full
feed also has to cut it back to the cap. This bench pushes posts into both kinds on a private
redis-server and reads Redis's main-thread CPU around each pass. Single passes of the same
script move by a third on these shared machines, so the revision compared against (`--against`,
the previous commit by default) runs on the same Redis and the same feeds, its passes
alternating with this commit's; its script is read with `git show`.

    .venv/bin/python -m bench.range_push [--followers 20000] [--posts 16] [--against HEAD~1]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import redis.asyncio as aioredis

from bench.common import (
    ROOT,
    emit,
    git_dirty_files,
    git_revision,
    machine,
    private_redis,
    redis_cpu_s,
    run,
    wait_until_idle,
)
from services.timeline import feed_scripts
from services.timeline.feed_store import (
    ACTIVE_PREFIX,
    FEED_FLOOR_PREFIX,
    FEED_PREFIX,
    SENTINEL,
    active_key,
    feed_key,
    feed_member,
    trim_turn,
)
from services.timeline.follower_index import index_key
from services.timeline.presence import LIVE_USERS_KEY

if TYPE_CHECKING:
    from redis.commands.core import AsyncScript

CAP = 800
CHUNK = 1000  # FanoutService's PUSH_CHUNK
AUTHOR = 77
FIRST_FOLLOWER = 10**12
FIRST_POST = 10**14


def script_at(revision: str) -> str:
    """PUSH_RANGE as `revision` has it."""
    source = subprocess.run(
        ["git", "show", f"{revision}:services/timeline/feed_scripts.py"],
        capture_output=True, text=True, check=True, cwd=ROOT,
    ).stdout  # fmt: skip
    namespace: dict[str, Any] = {}
    exec(compile(source, f"{revision}:feed_scripts.py", "exec"), namespace)  # noqa: S102 - our own file at a commit
    script: str = namespace["PUSH_RANGE"]
    return script


def _arguments(script: str, low: int, post_id: int) -> list[Any]:
    """The script's ARGV. Scripts before the lapse sweep also took the active marker's prefix."""
    prefixes = [FEED_PREFIX, FEED_FLOOR_PREFIX]
    if "ARGV[10]" in script:
        prefixes.append(ACTIVE_PREFIX)
    return [low, "+inf", CHUNK, CAP, post_id, feed_member(post_id, AUTHOR), *prefixes, trim_turn(post_id)]


async def _fill(redis: aioredis.Redis, followers: list[int], entries: int) -> None:
    """Every follower active, with a feed of `entries` posts besides its sentinel."""
    posts = {feed_member(FIRST_POST - 10**6 + i, AUTHOR): FIRST_POST - 10**6 + i for i in range(entries)}
    await redis.zadd(index_key(AUTHOR), {"0": 0, **{str(f): f for f in followers}})
    for start in range(0, len(followers), 200):
        async with redis.pipeline(transaction=False) as pipe:
            for follower in followers[start : start + 200]:
                pipe.zadd(feed_key(follower), {SENTINEL: 0, **posts})
                pipe.set(active_key(follower), 1, ex=3600)
            await pipe.execute()


async def _push_pass(script: AsyncScript, source: str, post_id: int) -> int:
    low, read = FIRST_FOLLOWER, 0
    while True:
        raw = await script(keys=[index_key(AUTHOR), LIVE_USERS_KEY], args=_arguments(source, low, post_id))
        read += int(raw[0])
        if int(raw[0]) < CHUNK:
            return read
        low = int(raw[1]) + 1


async def _measure(
    redis: aioredis.Redis, followers: list[int], entries: int, posts: int, sources: dict[str, str]
) -> dict[str, Any]:
    await redis.flushdb()
    await _fill(redis, followers, entries)
    scripts = {name: redis.register_script(source) for name, source in sources.items()}
    per_entry: dict[str, list[float]] = {name: [] for name in sources}
    names = list(sources)
    for post in range(posts):
        # Alternate which goes first, so that neither always follows the other's trims
        for name in names if post % 2 == 0 else reversed(names):
            before = (await redis_cpu_s(redis))["main_thread"]
            pushed = await _push_pass(scripts[name], sources[name], FIRST_POST + 2 * post + names.index(name))
            per_entry[name].append(((await redis_cpu_s(redis))["main_thread"] - before) / pushed * 1e6)
    sizes = {await redis.zcard(feed_key(f)) - 1 for f in followers[:100]}
    medians = {name: statistics.median(values) for name, values in per_entry.items()}
    return {
        "entries_before": entries,
        "encoding": await redis.object("encoding", feed_key(followers[0])),
        "redis_cpu_us_per_entry_median": {name: round(value, 2) for name, value in medians.items()},
        "redis_cpu_us_per_entry_each_pass": {n: [round(x, 2) for x in v] for n, v in per_entry.items()},
        "this_over_against": round(medians["this"] / medians["against"], 3),
        # Each post's two passes ran back to back, so their ratio shares the machine's moment
        "this_over_against_pass_by_pass_median": round(
            statistics.median(a / b for a, b in zip(per_entry["this"], per_entry["against"], strict=True)), 3
        ),
        "feed_sizes_after_min_max": [min(sizes), max(sizes)],
    }


async def main(followers: int, posts: int, against: str) -> None:
    against_revision = subprocess.run(
        ["git", "rev-parse", "--short", against], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout.strip()
    result: dict[str, Any] = {
        "benchmark": "range_push",
        "machine": machine(),
        "git": {"revision": git_revision(), "dirty_files": git_dirty_files()},
        "load": await wait_until_idle(max_load=1.5, timeout_s=60),
        "settings": {"followers": followers, "posts": posts, "cap": CAP, "chunk": CHUNK,
                     "followers_state": "all active (marker and feed), none live",
                     "against": against_revision,
                     "method": "each post is pushed by both scripts in turn, order alternating"},
    }  # fmt: skip
    sources = {"this": feed_scripts.PUSH_RANGE, "against": script_at(against_revision)}
    ids = [FIRST_FOLLOWER + i for i in range(followers)]
    with tempfile.TemporaryDirectory() as tmp:
        async with private_redis(Path(tmp)) as server:
            redis = aioredis.Redis.from_url(server.url, decode_responses=True)
            result["short_feeds"] = await _measure(redis, ids, 5, posts, sources)
            result["full_feeds"] = await _measure(redis, ids, CAP, posts, sources)
            await redis.aclose()
    emit(result)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    # A pass must take well over the kernel's CPU accounting tick (4 ms): 20,000 short feeds
    # are about 60 ms of Redis CPU
    parser.add_argument("--followers", type=int, default=20_000)
    parser.add_argument("--posts", type=int, default=16)
    parser.add_argument("--against", default="HEAD~1", help="the revision whose script is compared")
    arguments = parser.parse_args()
    run(main(arguments.followers, arguments.posts, arguments.against))
