"""Ranking benchmark: does RANKED show held-out users what they would engage with, and at what cost?

Builds the synthetic network of bench/ranking_sim.py on the embedded stack (real Redis, the
MongoDB stand-in in memory, uvicorn in this process), simulates a few days of chronological
reading and engagement, then asks the API over HTTP for each held-out user's first page in both
orders and compares it with what that user would engage with: precision@10 and NDCG@20. Then
it times pages of both orders, interleaved, over HTTP in the same run. Prints one JSON document.

    .venv/bin/python -m bench.ranking             # full size, a few minutes
    .venv/bin/python -m bench.ranking --quick     # small, for a smoke run
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import math
import random
import statistics
import time
from typing import TYPE_CHECKING, Any

import httpx

from bench.common import (
    Stack,
    embedded_stack,
    emit,
    git_dirty_files,
    git_revision,
    machine,
    summarize_ms,
    wait_until_idle,
)
from bench.ranking_sim import PREFERENCE_MODEL, build_network, simulate_reading
from resolvers.global_ids import parse_global_id

if TYPE_CHECKING:
    from bench.ranking_sim import Network

SIZES: dict[str, dict[str, Any]] = {
    "full": {"users": 2000, "follows": 70, "famous": 8, "held_out": 150, "days": 6, "latency_rounds": 3},
    "quick": {"users": 300, "follows": 40, "famous": 3, "held_out": 40, "days": 6, "latency_rounds": 2},
}
PAGE = 20
# The same page for both orders, as a client asks for it (`reason` is null for LATEST)
QUERY = """query($first: Int!, $after: String, $order: HomeOrder!) { viewer {
  homeTimeline(first: $first, after: $after, order: $order) { edges { cursor reason node {
    id caption createdAt likeCount commentCount viewerHasLiked
    author { id username displayName }
    media { id type url(size: MEDIUM) blurhash }
  } } pageInfo { hasNextPage endCursor } } } }"""


def log(message: str) -> None:
    print(f"# {time.strftime('%H:%M:%S')} {message}", flush=True)


async def fetch(
    client: httpx.AsyncClient, token: str, order: str, after: str | None = None
) -> dict[str, Any]:
    response = await client.post(
        "/graphql",
        json={"query": QUERY, "variables": {"first": PAGE, "after": after, "order": order}},
        headers={"Authorization": f"Bearer {token}"},
    )
    body = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise RuntimeError(f"{order} page failed: {response.status_code} {body}")
    page: dict[str, Any] = body["data"]["viewer"]["homeTimeline"]
    return page


def post_ids(page: dict[str, Any]) -> list[int]:
    return [parse_global_id(edge["node"]["id"])[1] for edge in page["edges"]]


def precision_at(ranked: list[int], relevant: set[int], k: int) -> float:
    return sum(1 for post in ranked[:k] if post in relevant) / k


def ndcg_at(ranked: list[int], relevant: set[int], k: int) -> float:
    gain = sum(1 / math.log2(index + 2) for index, post in enumerate(ranked[:k]) if post in relevant)
    ideal = sum(1 / math.log2(index + 2) for index in range(min(k, len(relevant))))
    return gain / ideal


async def quality(
    client: httpx.AsyncClient, network: Network, tokens: dict[int, str], window_s: float
) -> dict[str, Any]:
    names = ("latest_p10", "ranked_p10", "oracle_p10", "latest_ndcg20", "ranked_ndcg20", "oracle_ndcg20")
    scores: dict[str, list[float]] = {key: [] for key in names}
    reasons: dict[str, int] = {}
    skipped = 0
    for user in network.held_out:
        relevant = network.truth(user, window_s)
        if not relevant:
            skipped += 1
            continue
        latest = post_ids(await fetch(client, tokens[user], "LATEST"))
        ranked_page = await fetch(client, tokens[user], "RANKED")
        ranked = post_ids(ranked_page)
        for edge in ranked_page["edges"][:10]:
            kind = edge["reason"].split(" @")[0]
            reasons[kind] = reasons.get(kind, 0) + 1
        scores["latest_p10"].append(precision_at(latest, relevant, 10))
        scores["ranked_p10"].append(precision_at(ranked, relevant, 10))
        scores["latest_ndcg20"].append(ndcg_at(latest, relevant, 20))
        scores["ranked_ndcg20"].append(ndcg_at(ranked, relevant, 20))
        oracle = network.oracle(user, window_s)
        scores["oracle_p10"].append(precision_at(oracle, relevant, 10))
        scores["oracle_ndcg20"].append(ndcg_at(oracle, relevant, 20))
    means = {key: round(statistics.fmean(values), 4) for key, values in scores.items()}
    return {
        "users_evaluated": len(scores["latest_p10"]),
        "users_with_nothing_relevant": skipped,
        "mean_relevant_posts_per_user": round(
            statistics.fmean(len(network.truth(u, window_s)) for u in network.held_out), 1
        ),
        "precision_at_10": {"latest": means["latest_p10"], "ranked": means["ranked_p10"],
                            "ratio": round(means["ranked_p10"] / max(means["latest_p10"], 1e-9), 2)},
        "ndcg_at_20": {"latest": means["latest_ndcg20"], "ranked": means["ranked_ndcg20"],
                       "ratio": round(means["ranked_ndcg20"] / max(means["latest_ndcg20"], 1e-9), 2)},
        "oracle_for_scale": {
            "what": "the missed posts ordered by each user's hidden engage probability, which no ranking can see",
            "precision_at_10": means["oracle_p10"],
            "ndcg_at_20": means["oracle_ndcg20"],
        },
        "reasons_in_ranked_top_10": dict(sorted(reasons.items(), key=lambda item: -item[1])),
    }  # fmt: skip


async def latency(
    client: httpx.AsyncClient, network: Network, tokens: dict[int, str], rounds: int, seed: int
) -> dict[str, Any]:
    """A first and a second page of each order per held-out user and round, the orders
    alternating which goes first, so both meet the same machine."""
    rng = random.Random(seed)
    samples: dict[str, list[float]] = {
        "latest_first": [],
        "latest_next": [],
        "ranked_first": [],
        "ranked_next": [],
    }
    for _ in range(rounds):
        users = list(network.held_out)
        rng.shuffle(users)
        for index, user in enumerate(users):
            orders = ["LATEST", "RANKED"] if index % 2 else ["RANKED", "LATEST"]
            for order in orders:
                started = time.perf_counter()
                page = await fetch(client, tokens[user], order)
                samples[f"{order.lower()}_first"].append(time.perf_counter() - started)
                if page["pageInfo"]["hasNextPage"]:
                    started = time.perf_counter()
                    await fetch(client, tokens[user], order, page["pageInfo"]["endCursor"])
                    samples[f"{order.lower()}_next"].append(time.perf_counter() - started)
    result: dict[str, Any] = {name: summarize_ms(values) for name, values in samples.items()}
    result["latest_pages"] = summarize_ms(samples["latest_first"] + samples["latest_next"])
    result["ranked_pages"] = summarize_ms(samples["ranked_first"] + samples["ranked_next"])
    result["p99_ratio_first_page"] = round(
        result["ranked_first"]["p99_ms"] / result["latest_first"]["p99_ms"], 2
    )
    result["p99_ratio_all_pages"] = round(
        result["ranked_pages"]["p99_ms"] / result["latest_pages"]["p99_ms"], 2
    )
    result["p50_ratio_first_page"] = round(
        result["ranked_first"]["p50_ms"] / result["latest_first"]["p50_ms"], 2
    )
    return result


async def run(
    size_name: str, seed: int, overrides: dict[str, Any], *, measure_latency: bool
) -> dict[str, Any]:
    size = SIZES[size_name]
    async with embedded_stack(rate_limits="off", **overrides) as stack:
        return await measure(stack, size_name, size, seed, measure_latency=measure_latency)


async def measure(
    stack: Stack, size_name: str, size: dict[str, Any], seed: int, *, measure_latency: bool = True
) -> dict[str, Any]:
    services, settings = stack.services, stack.settings
    window_s = settings.ranking_window_hours * 3600
    log(f"network: {size['users']} users, seed {seed}")
    network = await build_network(services, size, seed)
    log(f"{network.counts['posts']} posts; simulating {size['days']} days of reading")
    started = time.perf_counter()
    await simulate_reading(services, network, size, window_s)
    simulated_s = time.perf_counter() - started
    log(f"{network.counts}")
    tokens = {user: await services.sessions.create(user) for user in network.held_out}
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=60) as client:
        for user in network.held_out:  # feeds rebuilt, recent sets and caches filled, as on a live server
            await fetch(client, tokens[user], "LATEST")
        # The in-memory MongoDB and the simulation keep a large heap: spare the collector it, as
        # a server backed by a real MongoDB would be, so that pauses measure requests, not the bench
        gc.collect()
        gc.freeze()
        log("quality")
        measured_quality = await quality(client, network, tokens, window_s)
        log(f"{measured_quality['precision_at_10']}; latency")
        rounds = size["latency_rounds"] if measure_latency else 0
        machine_load = await wait_until_idle(max_load=1.5, timeout_s=180) if rounds else {}
        measured_latency = await latency(client, network, tokens, rounds, seed) if rounds else {}
        measured_latency["machine_load"] = machine_load
    precision_ratio = measured_quality["precision_at_10"]["ratio"]
    return {
        "benchmark": "ranking",
        "size": size_name,
        "seed": seed,
        "git": {"revision": git_revision(), "dirty_files": git_dirty_files()},
        "machine": machine(),
        "settings": {
            "ranking_weights": settings.ranking_weights or "defaults (recency=1, affinity=1, velocity=0.5, like=1, comment=3, visit=0.5)",
            "ranking_half_lives_h": settings.ranking_half_lives_h or "defaults (recency=12, affinity=336, velocity=6)",
            "ranking_window_hours": settings.ranking_window_hours,
            "ranking_max_candidates": settings.ranking_max_candidates,
            "feed_cap": settings.feed_cap,
            "page_size": PAGE,
        },
        "network": {**size, **network.counts, "simulation_seconds": round(simulated_s, 1)},
        "preference_model": PREFERENCE_MODEL,
        "quality": measured_quality,
        "latency_http_sequential": measured_latency,
        "criteria": {
            "ranked_precision_at_10_at_least_1.5x_latest": precision_ratio >= 1.5,
            "ranked_first_page_p99_at_most_2x_latest": measured_latency.get("p99_ratio_first_page", 99) <= 2,
            "ranked_page_p99_at_most_2x_latest": measured_latency.get("p99_ratio_all_pages", 99) <= 2,
        },
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small network, for a smoke run")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--weights", default="", help="RANKING_WEIGHTS for this run, e.g. 'velocity=0.25'")
    parser.add_argument("--half-lives", default="", help="RANKING_HALF_LIVES_H for this run")
    parser.add_argument(
        "--max-candidates", type=int, default=None, help="RANKING_MAX_CANDIDATES for this run"
    )
    parser.add_argument("--quality-only", action="store_true", help="skip the latency measurement")
    args = parser.parse_args()
    overrides: dict[str, Any] = {"ranking_weights": args.weights, "ranking_half_lives_h": args.half_lives}
    if args.max_candidates is not None:
        overrides["ranking_max_candidates"] = args.max_candidates
    size = "quick" if args.quick else "full"
    emit(asyncio.run(run(size, args.seed, overrides, measure_latency=not args.quality_only)))


if __name__ == "__main__":
    main()
