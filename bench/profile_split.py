"""Splits a py-spy raw profile (collapsed stacks) of the API into where the CPU went.

Each sample is charged to the innermost frame that belongs to a known part of the request
path, so a Redis call made by a loader counts as "data", not as "graphql-core", and
graphql-core's own frames count only while it is not inside a resolver.

    .venv/bin/python -m bench.profile_split profile.txt
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

# (part, substrings of a frame's file); the first part whose substring matches the innermost
# matching frame wins
PARTS: list[tuple[str, tuple[str, ...]]] = [
    ("data: Redis client", ("redis/", "hiredis")),
    ("data: MongoDB stand-in", ("litemongo", "aperture/embedded", "pymongo/")),
    (
        "data: resolvers, loaders, services",
        ("services/", "dataloaders/", "resolvers/", "strawberry/dataloader.py"),
    ),
    ("schema types (field methods)", ("schema/types/", "schema/ids.py", "schema/cursors.py")),
    ("planned execution (schema/execution)", ("schema/execution/",)),
    ("graphql-core execution", ("graphql/execution/", "graphql/pyutils/", "graphql/type/", "graphql/error/")),
    (
        "strawberry resolver wrapper",
        ("strawberry/schema/schema_converter.py", "strawberry/types/", "strawberry/utils/"),
    ),
    ("parse + validate", ("graphql/validation/", "graphql/language/", "graphql/utilities/")),
    (
        "schema extensions (caches, limits, cost, errors)",
        (
            "strawberry/extensions/",
            "gateway/extensions.py",
            "gateway/query_cost.py",
            "gateway/request_budget.py",
            "gateway/errors.py",
        ),
    ),
    ("strawberry execute", ("strawberry/schema/",)),
    (
        "HTTP view + JSON",
        ("gateway/graphql_view.py", "strawberry/http/", "gateway/auth.py", "orjson", "json/", "cross_web"),
    ),
    ("ASGI server + middleware", ("starlette/", "uvicorn/", "gateway/middleware.py", "httptools")),
    ("logging + metrics", ("logging/", "aperture/logs.py", "prometheus_client", "aperture/metrics.py")),
    ("event loop", ("asyncio/", "uvloop")),
]
THREAD_POOL = "concurrent/futures/thread.py"


def part_of(frames: list[str]) -> str:
    if any(THREAD_POOL in frame for frame in frames):
        return "thread pool (futures/thread.py)"
    for frame in reversed(frames):
        for part, needles in PARTS:
            if any(needle in frame for needle in needles):
                return part
    return "other"


def split(profile: Path) -> dict[str, object]:
    parts: Counter[str] = Counter()
    in_thread_pool: Counter[str] = Counter()
    total = 0
    for line in profile.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack:
            continue
        count = int(count_text)
        frames = stack.split(";")
        total += count
        part = part_of(frames)
        parts[part] += count
        if part.startswith("thread pool"):
            callers = [frame for frame in frames if THREAD_POOL not in frame and "threading.py" not in frame]
            in_thread_pool[callers[-1] if callers else frames[-1]] += count
    return {
        "samples": total,
        "percent": {part: round(100 * n / total, 1) for part, n in parts.most_common()},
        "thread_pool_leaf_frames": dict(in_thread_pool.most_common(8)),
    }


if __name__ == "__main__":
    print(json.dumps(split(Path(sys.argv[1])), indent=2))
