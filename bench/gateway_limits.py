"""What the gateway's per-request duties cost: rate limiting (one Redis script call) and
query costing (a walk of the document), measured against the same server with limits off.

    .venv/bin/python -m bench.gateway_limits [--seconds 8] [--rounds 3]

Prints JSON with the machine, the settings, and req/s and latency per case, plus the ratio
to the baseline run in the same session (limits off, same query, same connections).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import time
from typing import Any

import httpx
import uvloop
from graphql import parse

from bench.common import (
    embedded_stack,
    emit,
    git_revision,
    load_average,
    machine,
    wait_until_idle,
    wrk_graphql,
)
from gateway.query_cost import operation_cost
from gateway.rate_limits import Bucket
from services.foundation.pagination import MAX_PAGE

VIEWER = "query Viewer { viewer { username followerCount } }"
HOME = """query Home { viewer { homeTimeline(first: 20) { edges { cursor node { id caption createdAt
  likeCount commentCount viewerHasLiked author { id username displayName }
  media { type url(size: MEDIUM) blurhash } } } pageInfo { hasNextPage endCursor } } } }"""
CONNECTIONS = 32
USERS = 50
NEVER_REACHED = ",".join(f"{bucket.value}=1000000000" for bucket in Bucket)


async def _tokens(base_url: str) -> list[str]:
    tokens = []
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        for n in range(USERS):
            response = await client.post(
                "/graphql",
                json={
                    "query": 'mutation($u: String!) { signUp(username: $u, password: "bench password 1") { token } }',
                    "variables": {"u": f"bench{n}"},
                },
            )
            tokens.append(response.json()["data"]["signUp"]["token"])
    return tokens


async def run_case(rate_limits: str, seconds: int) -> dict[str, Any]:
    async with embedded_stack(rate_limits=rate_limits) as stack:
        tokens = await _tokens(stack.base_url)
        persisted = {
            "persistedQuery": {"version": 1, "sha256Hash": hashlib.sha256(VIEWER.encode()).hexdigest()}
        }
        async with httpx.AsyncClient(base_url=stack.base_url) as client:
            registered = await client.post("/graphql", json={"query": VIEWER, "extensions": persisted})
            assert registered.status_code in (200, 400), registered.text
        return {
            "typename_anonymous": await wrk_graphql(
                stack.base_url, [{"query": "{ __typename }"}], [], connections=CONNECTIONS, seconds=seconds
            ),
            "viewer_signed_in": await wrk_graphql(
                stack.base_url, [{"query": VIEWER}], tokens, connections=CONNECTIONS, seconds=seconds
            ),
            "viewer_signed_in_persisted_hash_only": await wrk_graphql(
                stack.base_url, [{"extensions": persisted}], tokens, connections=CONNECTIONS, seconds=seconds
            ),
        }


def cost_walk_us(query: str, repeat: int = 2000) -> float:
    from schema.root import build_schema  # noqa: PLC0415

    schema = build_schema()._schema
    document = parse(query)
    started = time.perf_counter()
    for _ in range(repeat):
        operation_cost(schema, document, None, {}, max_page=MAX_PAGE)
    return round((time.perf_counter() - started) / repeat * 1e6, 1)


def _median_case(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median req/s of one case, with every run's req/s beside it."""
    ordered = sorted(runs, key=lambda run: run.get("req_per_s", 0.0))
    return {**ordered[len(ordered) // 2], "req_per_s_each_round": [run.get("req_per_s") for run in runs]}


async def main(seconds: int, rounds: int) -> None:
    idle = await wait_until_idle()
    runs: dict[str, list[dict[str, Any]]] = {"off": [], "on": []}
    for round_ in range(rounds):
        # Alternate which goes first, so a drift in machine load does not favour one side
        order = ["off", "on"] if round_ % 2 == 0 else ["on", "off"]
        for side in order:
            runs[side].append(await run_case("off" if side == "off" else NEVER_REACHED, seconds))
    baseline = {case: _median_case([run[case] for run in runs["off"]]) for case in runs["off"][0]}
    limited = {case: _median_case([run[case] for run in runs["on"]]) for case in runs["on"][0]}
    ratios = {
        case: round(limited[case]["req_per_s"] / baseline[case]["req_per_s"], 3)
        for case in baseline
        if "req_per_s" in baseline[case] and "req_per_s" in limited.get(case, {})
    }
    emit(
        {
            "benchmark": "gateway",
            "run": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "git": git_revision(),
            "machine": machine(),
            "load": {**idle, "load_average_at_end": load_average()},
            "settings": {
                "connections": CONNECTIONS,
                "seconds_per_case": seconds,
                "rounds": rounds,
                "users": USERS,
                "client": "wrk, 1 thread, POST application/json",
                "server": "one uvicorn server on uvloop in the bench process, embedded Redis on a unix "
                "socket, MongoDB stand-in in memory",
                "limited_budgets": "every bucket 1e9/min: every request is charged, none refused",
                "reported": "per case, the round with the median req/s; off and on alternate order each round",
            },
            "baseline_rate_limits_off": baseline,
            "rate_limits_on": limited,
            "ratio_on_over_off": ratios,
            "cost_walk_us": {"viewer": cost_walk_us(VIEWER), "home_timeline_20": cost_walk_us(HOME)},
        }
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=8, help="whole seconds per case (wrk takes integers)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating off/on rounds; the median is kept")
    arguments = parser.parse_args()
    uvloop.install()  # as uvicorn runs the API in production
    asyncio.run(main(arguments.seconds, arguments.rounds))
