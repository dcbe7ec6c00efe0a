"""Home timeline latency with 500 muted accounts, against the same reader without mutes, in one run.

Two readers follow the same 50 authors (20 posts each) over HTTP on the embedded stack (real
Redis, the MongoDB stand-in in memory, uvicorn in this process). One has muted nobody (the
baseline); the other has muted 500 accounts. The policy asks Redis about a page's authors with
one SMISMEMBER per set (services/privacy/policy.py), so a long mute list costs a longer reply,
not more reads; what can cost more is a feed full of muted posts, which a page has to skip.
So there are two cases:

- `mostly_strangers`: 5 of the 500 muted accounts are followed (10% of the feed is muted);
- `half_the_feed`: 25 of the 500 are followed (half of the feed is muted, so a page reads
  about twice the candidates).

Requests alternate between the two readers so that the machine's load falls on both alike.
Prints one JSON document with the machine, the settings, every figure and the ratios to the
baseline (target: p50 and p99 within 1.5x).

    .venv/bin/python -m bench.mutes [--quick]
"""

from __future__ import annotations

import argparse
import gc
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx

from bench.common import (
    embedded_stack,
    emit,
    git_revision,
    load_average,
    machine,
    run,
    summarize_ms,
    wait_until_idle,
)
from services.social.follows import edge_document

if TYPE_CHECKING:
    from services.container import Services

AUTHORS = 50
POSTS_PER_AUTHOR = 20
MUTES = 500
PAGE = 20
CASES = {"mostly_strangers": 5, "half_the_feed": 25}
HOME = """query($o: HomeOrder!) { viewer { homeTimeline(first: 20, order: $o) {
  edges { node { id caption likeCount viewerHasLiked author { username } } } } } }"""
ACCEPT = "application/graphql-response+json"


async def _users(services: Services, ids: list[int], prefix: str) -> None:
    now = datetime.now(UTC)
    await services.stores.db["users"].insert_many(
        [
            {"_id": uid, "username": f"{prefix}{uid}", "display_name": f"{prefix} {uid}", "bio": "",
             "password_hash": "-", "created_at": now}
            for uid in ids
        ]
    )  # fmt: skip


async def build(services: Services, followed_muted: int) -> tuple[str, str, dict[str, int], set[str]]:
    """Two readers (tokens) following the same authors; the second mutes MUTES accounts, of
    which `followed_muted` are among the authors."""
    db, ids, now = services.stores.db, services.ids, datetime.now(UTC)
    base = 1_000_000 * (followed_muted + 1)
    authors = list(range(base, base + AUTHORS))
    strangers = list(range(base + 10_000, base + 10_000 + MUTES - followed_muted))
    await _users(services, authors, "author")
    await _users(services, strangers, "muted")
    await db["posts"].insert_many(
        [{"_id": ids.next_id(), "author_id": author, "caption": f"post {n}", "hashtags": [], "mention_ids": [],
          "status": "VISIBLE", "created_at": now, "media": []}
         for n in range(POSTS_PER_AUTHOR) for author in authors]
    )  # fmt: skip
    # Spread over the authors, so that the newest page holds their posts in that proportion
    followed_and_muted = authors[:: AUTHORS // followed_muted][:followed_muted]
    tokens = []
    for name in ("plain", "muting"):
        reader = await services.users.sign_up(f"{name}{followed_muted}", "password-123", None)
        await db["follows"].insert_many([edge_document(reader.id, a, ids.next_id(), now) for a in authors])
        tokens.append(await services.sessions.create(reader.id))
        if name == "muting":
            for muted in [*followed_and_muted, *strangers]:
                await services.privacy.mute(reader.id, muted)
            muting_id = reader.id
    muted_count = len(await services.privacy.policy.viewer_muted(muting_id, [*authors, *strangers]))
    facts = {"muted": muted_count, "followed_and_muted": followed_muted}
    return tokens[0], tokens[1], facts, {f"author{a}" for a in followed_and_muted}


async def measure(
    http: httpx.AsyncClient, tokens: dict[str, str], order: str, rounds: int, muted_names: set[str]
) -> dict[str, Any]:
    samples: dict[str, list[float]] = {name: [] for name in tokens}
    edges: dict[str, int] = {}
    shown_muted: dict[str, int] = dict.fromkeys(tokens, 0)

    async def one(name: str) -> None:
        started = time.perf_counter()
        response = await http.post(
            "/graphql",
            json={"query": HOME, "variables": {"o": order}},
            headers={"Authorization": f"Bearer {tokens[name]}", "Accept": ACCEPT},
        )
        samples[name].append(time.perf_counter() - started)
        body = response.json()
        assert "errors" not in body, body
        page = body["data"]["viewer"]["homeTimeline"]["edges"]
        edges[name] = len(page)
        shown_muted[name] += sum(1 for edge in page if edge["node"]["author"]["username"] in muted_names)

    for _ in range(20):  # warm: feeds built, caches filled, plans made
        for name in tokens:
            await one(name)
    for values in samples.values():
        values.clear()
    for index in range(rounds):
        # Alternate which reader goes first, so neither always follows the other's request
        for name in tokens if index % 2 == 0 else reversed(list(tokens)):
            await one(name)
    summaries = {name: summarize_ms(values) for name, values in samples.items()}
    base, muted = summaries["no mutes"], summaries["500 mutes"]
    return {
        **summaries,
        "edges_per_page": edges,
        # Posts by the followed-and-muted authors on the pages measured: all on the baseline's
        # pages that had them, none on the muting reader's
        "posts_of_muted_authors_shown": shown_muted,
        "ratio_to_baseline": {q: round(muted[q] / base[q], 2) for q in ("p50_ms", "p99_ms", "mean_ms")},
    }


async def main(quick: bool) -> None:
    rounds = 100 if quick else 400
    result: dict[str, Any] = {
        "benchmark": "mutes",
        "mode": "quick" if quick else "full",
        "revision": git_revision(),
        "machine": machine(),
        "load": await wait_until_idle(max_load=2.0, timeout_s=30 if quick else 60),
        "settings": {
            "followed_authors": AUTHORS,
            "posts_per_author": POSTS_PER_AUTHOR,
            "muted_accounts": MUTES,
            "page_size": PAGE,
            "requests_per_reader_and_order": rounds,
            "transport": "GraphQL over HTTP (httpx, one connection, sequential), uvicorn in process",
            "mongodb": "litemongo in memory (the stand-in)",
            "redis": "embedded redis-server",
            "target": "500 mutes within 1.5x of no mutes, p50 and p99",
        },
    }
    async with embedded_stack(rate_limits="off") as stack:
        services = stack.services
        gc.collect()
        gc.freeze()
        async with httpx.AsyncClient(base_url=stack.base_url, timeout=30) as http:
            for case, followed_muted in CASES.items():
                plain, muting, facts, muted_names = await build(services, followed_muted)
                tokens = {"no mutes": plain, "500 mutes": muting}
                result[case] = {
                    **facts,
                    "LATEST": await measure(http, tokens, "LATEST", rounds, muted_names),
                    "RANKED": await measure(http, tokens, "RANKED", rounds, muted_names),
                }
    result["load"]["load_average_at_end"] = load_average()
    emit(result)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true")
    run(main(parser.parse_args().quick))
