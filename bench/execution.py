"""GraphQL execution benchmark: the hot reads against `{ __typename }` on the same server, in one run.

Seeds a small network (authors whose posts carry ready photos, readers who follow all of them)
on the embedded stack, then drives one uvicorn process with wrk (32 connections) for each
query in turn: `{ __typename }` (the floor of the HTTP + GraphQL path), the hydrated 20-post
home page, a user timeline page and `post(id)`. A second app on the same services runs with
execution plans off (`GRAPHQL_EXECUTION_PLANS=0`, graphql-core's own executor), so both
executors are measured side by side against the same baseline. Prints one JSON document.

    .venv/bin/python -m bench.execution                         # 3 rounds of 10 s runs
    .venv/bin/python -m bench.execution --seconds 3 --rounds 1  # a smoke run
    .venv/bin/python -m bench.execution --profile out.txt  # also py-spy the planned home page
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import (
    Stack,
    collector_pauses,
    embedded_stack,
    emit,
    free_port,
    git_dirty_files,
    git_revision,
    load_average,
    machine,
    process_cpu_s,
    serve_app,
    wrk_graphql,
)
from bench.home_network import drain
from bench.home_timeline import HOME_QUERY, POST_QUERY, USER_QUERY
from services.posts.records import MediaItem, MediaKind, MediaState

AUTHORS = 30
POSTS_PER_AUTHOR = 3
READERS = 20


def photo(item_id: int) -> MediaItem:
    variants = {f"{size}.{fmt}": f"media/{item_id}/{size}.{fmt}" for size in ("thumbnail", "medium", "high")
                for fmt in ("webp", "jpg")}  # fmt: skip
    return MediaItem(
        id=item_id, kind=MediaKind.IMAGE, state=MediaState.READY, alt_text="a photo",
        content_type="image/jpeg", upload_key=f"uploads/{item_id}", width=1080, height=1350,
        blurhash="LEHV6nWB2yk8pyo0adR*.7kCMdnj", variants=variants,
    )  # fmt: skip


async def seed(stack: Stack) -> dict[str, Any]:
    services = stack.services
    authors = [
        (await services.users.sign_up(f"author{i}", "bench-password", None)).id for i in range(AUTHORS)
    ]
    readers = [
        (await services.users.sign_up(f"reader{i}", "bench-password", None)).id for i in range(READERS)
    ]
    for reader in readers:
        for author in authors:
            await services.follows.follow(reader, author)
    await drain(stack)
    post_ids = []
    for round_ in range(POSTS_PER_AUTHOR):
        for author in authors:
            media = [photo(services.ids.next_id())]
            record = await services.posts.create(author, f"Post {round_} by {author} #bench", media)
            post_ids.append(record.id)
    await drain(stack)
    tokens = [await services.sessions.create(reader) for reader in readers]
    return {"tokens": tokens, "post_ids": post_ids}


def bodies_for(seeded: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    from resolvers.global_ids import to_global_id  # noqa: PLC0415

    return {
        "typename": [{"query": "{ __typename }"}],
        "home": [{"query": HOME_QUERY}],
        "user_timeline": [
            {"query": USER_QUERY, "variables": {"username": f"author{i}"}} for i in range(AUTHORS)
        ],
        "post": [
            {"query": POST_QUERY, "variables": {"id": to_global_id("Post", pid)}}
            for pid in seeded["post_ids"][:50]
        ],
    }


async def check_pages(base_url: str, bodies: dict[str, list[dict[str, Any]]], token: str) -> None:
    import httpx  # noqa: PLC0415

    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        for name, variants in bodies.items():
            response = await client.post(
                "/graphql", json=variants[0], headers={"Authorization": f"Bearer {token}"}
            )
            body = response.json()
            assert "errors" not in body, (name, body)
        home = (await client.post("/graphql", json={"query": HOME_QUERY},
                                  headers={"Authorization": f"Bearer {token}"})).json()  # fmt: skip
        assert len(home["data"]["viewer"]["homeTimeline"]["edges"]) == 20, home


@contextlib.contextmanager
def py_spy(output: str | None, seconds: float) -> Any:
    """Samples this process (the API) with py-spy while the block runs, as a flat profile."""
    binary = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if output is None or not Path(binary).exists():
        yield
        return
    process = subprocess.Popen(
        [binary, "record", "--pid", str(os.getpid()), "--duration", str(int(seconds)), "--format", "raw",
         "--rate", "250", "--output", output, "--nonblocking"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        yield
    finally:
        process.wait(timeout=seconds + 30)


async def measure_once(
    base_url: str, variants: list[dict[str, Any]], tokens: list[str], seconds: int
) -> dict[str, Any]:
    """One wrk run, with the API's own CPU per request (both apps run in this process, one at a
    time, so this process's CPU during the run is the API's; other load on the machine does not
    count, unlike in req/s)."""
    cpu_before = process_cpu_s(os.getpid())
    with collector_pauses() as pauses:
        figures: dict[str, Any] = await wrk_graphql(
            base_url, variants, tokens, connections=32, seconds=seconds
        )
    cpu = process_cpu_s(os.getpid()) - cpu_before
    figures["collector_pauses"] = pauses
    if figures.get("requests"):
        figures["api_cpu_ms_per_request"] = round(1000 * cpu / figures["requests"], 3)
    return figures


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median req/s, and every run's req/s and CPU per request beside it."""
    ordered = sorted((run for run in runs if "req_per_s" in run), key=lambda run: run["req_per_s"])
    if not ordered:
        return runs[0]
    return {
        **ordered[len(ordered) // 2],
        "runs_req_per_s": [run["req_per_s"] for run in runs if "req_per_s" in run],
        "runs_api_cpu_ms_per_request": [run.get("api_cpu_ms_per_request") for run in runs],
    }


async def measure(urls: dict[str, str], bodies: dict[str, list[dict[str, Any]]], tokens: list[str],
                  seconds: int, rounds: int) -> dict[str, Any]:  # fmt: skip
    """Each query on each app in turn, `rounds` times, so that a change in the machine's load
    falls on both apps alike; the median run of each is reported."""
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {app: {name: [] for name in bodies} for app in urls}
    for _ in range(rounds):
        for name, variants in bodies.items():
            for app, url in urls.items():
                runs[app][name].append(
                    await measure_once(url, variants, [] if name == "typename" else tokens, seconds)
                )
    result: dict[str, Any] = {}
    for app in urls:
        figures: dict[str, Any] = {name: median_run(runs[app][name]) for name in bodies}
        floor = figures["typename"].get("req_per_s")
        if floor:
            figures["over_typename_req_per_s"] = {
                name: round(figures[name]["req_per_s"] / floor, 3) for name in bodies if name != "typename"
            }
        result[app] = figures
    return result


async def main(seconds: int, rounds: int, profile: str | None) -> None:
    result: dict[str, Any] = {
        "benchmark": "execution",
        "machine": machine(),
        "git": {"revision": git_revision(), "dirty_files": git_dirty_files()},
        "load_average_at_start": load_average(),
    }
    async with embedded_stack(rate_limits="off", famous_threshold=10_000) as stack:
        seeded = await seed(stack)
        bodies = bodies_for(seeded)
        tokens = seeded["tokens"]
        result["settings"] = {
            "authors": AUTHORS, "posts_per_author": POSTS_PER_AUTHOR, "readers": READERS,
            "connections": 32, "seconds_per_run": seconds, "rounds": rounds, "wrk_threads": 1,
            "api": "one uvicorn process (uvloop, httptools) in this process, sharing 2 cores with wrk",
            "mongodb": "litemongo in memory (embedded stand-in)",
        }  # fmt: skip
        stock_settings = dataclasses.replace(stack.settings, port=free_port(), graphql_execution_plans=False)
        async with serve_app(stock_settings, stack.services) as stock_url:
            urls = {"plans": stack.base_url, "graphql_core": stock_url}
            for url in urls.values():
                await check_pages(url, bodies, tokens[0])
            result.update(await measure(urls, bodies, tokens, seconds, rounds))
        result["plans_over_graphql_core"] = {
            name: {
                "req_per_s": round(result["plans"][name]["req_per_s"] / result["graphql_core"][name]["req_per_s"], 3),
                "api_cpu_per_request": round(result["plans"][name]["api_cpu_ms_per_request"]
                                             / result["graphql_core"][name]["api_cpu_ms_per_request"], 3),
            }
            for name in bodies
            if "req_per_s" in result["plans"][name] and "req_per_s" in result["graphql_core"][name]
        }  # fmt: skip
        if profile:
            with py_spy(profile, seconds):
                result["profiled_home"] = await measure_once(stack.base_url, bodies["home"], tokens, seconds)
    result["load_average_at_end"] = load_average()
    emit(result)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=10, help="length of each wrk measurement")
    parser.add_argument("--rounds", type=int, default=3, help="measurements of each query on each app")
    parser.add_argument("--profile", help="write a py-spy raw profile of the home page load here")
    arguments = parser.parse_args()
    started = time.perf_counter()
    try:
        import uvloop
    except ImportError:  # pragma: no cover
        asyncio.run(main(arguments.seconds, arguments.rounds, arguments.profile))
    else:
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(main(arguments.seconds, arguments.rounds, arguments.profile))
