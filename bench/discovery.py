"""People search over 100,000 users, with its baselines in the same run. Prints one JSON document.

- the shipped path: `UserSearch.search` over the Redis people index (ranked per-prefix sets for
  2 to 4 characters, ZRANGEBYLEX for longer queries), and `searchUsers` over HTTP;
- the alternative: a MongoDB collection with a normalised multikey `prefixes` field and an
  index on (prefixes, followers, _id), on the stand-in (litemongo) and on mongomock-ng (the
  most faithful emulator: same answers, no index);
- the baseline: what search costs without an index (a case-insensitive regex scan), a Redis
  round trip, and `{ __typename }` over HTTP.

The evidence that an index serves each query: Redis INFO commandstats over the searches (which
commands ran, how many entries each could read), and litemongo's planner (how many candidate
documents its index hands the matcher, against a full scan for the regex).

    .venv/bin/python -m bench.discovery [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import mongomock_ng

from aperture.embedded.litemongo_adapter import LiteMongoClient, SyncEngineClient
from bench.common import (
    embedded_stack,
    emit,
    load_average,
    machine,
    summarize_ms,
    time_calls,
    wait_until_idle,
)
from services.discovery.normalize import fold, search_terms
from services.discovery.people_index import TOP_CAP, lex_key, top_key
from services.discovery.search import LONG_QUERY_CANDIDATES
from services.social.follows import edge_document

FIRST = ["José", "Zoë", "Chloé", "Renée", "Søren", "Mina", "Ana", "Björn", "Łukasz", "Noé", "Inès", "Amélie",
         "Juan", "Maria", "John", "Aiko", "Omar", "Lena", "Marta", "Nikolai", "Priya", "Chen", "Sofía", "Ömer",
         "Hana", "Ravi", "Elena", "Tomás", "Yusuf", "Ida", "Kai", "Mateo", "Nora", "Émile", "Jana", "Leo"]  # fmt: skip
LAST = ["García", "Müller", "Novák", "Smith", "Kowalski", "Tanaka", "Rossi", "Dubois", "Larsen", "Öztürk",
        "Silva", "Kim", "Nguyen", "Petrov", "Haddad", "Jensen", "Moreau", "Fischer", "Costa", "Ibáñez",
        "Lindqvist", "Sato", "Martín", "Weiß", "Brown", "Park", "Horváth", "Santos", "Ahmed", "Berg"]  # fmt: skip
QUERY_CLASSES = ("2 chars", "3-4 chars", "5-8 chars", "exact username", "whole display name")
MONGO_PREFIX_MAX = 16


def make_people(total: int, rng: random.Random) -> list[dict[str, Any]]:
    people = []
    for n in range(total):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        username = f"{fold(first)}.{fold(last)}{n}".replace(" ", "")[:30]
        people.append({"_id": 1_000_000 + n, "username": username, "display_name": f"{first} {last}"})
    order = list(range(total))
    rng.shuffle(order)  # follower counts follow Zipf over a random order of people
    for rank, index in enumerate(order):
        people[index]["followers"] = int(100_000 / (rank + 1))
    return people


async def load(services: Any, people: list[dict[str, Any]]) -> None:
    db = services.stores.db
    now = datetime.now(UTC)
    for start in range(0, len(people), 10_000):
        chunk = people[start : start + 10_000]
        await db["users"].insert_many(
            [{"_id": p["_id"], "username": p["username"], "display_name": p["display_name"], "bio": "",
              "password_hash": "-", "created_at": now} for p in chunk]
        )  # fmt: skip
        await db["counters"].insert_many(
            [
                {"_id": f"user:{p['_id']}", "followers": p["followers"], "following": 0, "posts": 0}
                for p in chunk
            ]
        )


def make_queries(people: list[dict[str, Any]], rng: random.Random, per_class: int) -> dict[str, list[str]]:
    def term_of(person: dict[str, Any], minimum: int) -> str:
        terms = [t for t in search_terms(person["username"], person["display_name"]) if len(t) >= minimum]
        return rng.choice(terms) if terms else fold(person["display_name"])

    picks = [rng.choice(people) for _ in range(per_class)]
    return {
        "2 chars": [term_of(p, 2)[:2] for p in picks],
        "3-4 chars": [term_of(p, 4)[: rng.randint(3, 4)] for p in picks],
        "5-8 chars": [term_of(p, 5)[: rng.randint(5, 8)] for p in picks],
        "exact username": [p["username"] for p in picks],
        "whole display name": [fold(p["display_name"]) for p in picks],
    }


async def redis_search(services: Any, queries: dict[str, list[str]]) -> dict[str, Any]:
    search = services.search
    redis = services.stores.redis
    everything = [q for cls in QUERY_CLASSES for q in queries[cls]]
    first_pass = await time_calls(_searcher(search, iter(everything)), len(everything))  # user records cold
    await redis.config_resetstat()
    by_class = {cls: summarize_ms(await time_calls(_searcher(search, iter(queries[cls])), len(queries[cls])))
                for cls in QUERY_CLASSES}  # fmt: skip
    stats = await redis.info("commandstats")
    calls = {name.removeprefix("cmdstat_"): value["calls"] for name, value in stats.items()}
    samples = [value["p99_ms"] for value in by_class.values()]
    return {
        "first_pass_all_classes": summarize_ms(first_pass),
        "warm_by_class": by_class,
        "warm_worst_class_p99_ms": max(samples),
        "redis_commands_during_warm_pass": dict(sorted(calls.items())),
        "searches_in_warm_pass": len(everything),
    }


def _searcher(search: Any, queries: Any) -> Any:
    async def one() -> None:
        await search.search(next(queries), None, 20)

    return one


async def index_sizes(services: Any, queries: dict[str, list[str]]) -> dict[str, Any]:
    """The most entries any one search could read: the ranked sets are capped, lex ranges limited."""
    redis = services.stores.redis
    top_sizes = [await redis.zcard(top_key(q)) for q in queries["2 chars"] + queries["3-4 chars"]]
    lex_sizes = [await redis.zcard(lex_key(q)) for q in queries["5-8 chars"]]
    return {
        "ranked_prefix_set_entries_max": max(top_sizes),
        "ranked_prefix_set_cap": TOP_CAP,
        "lex_set_entries_max": max(lex_sizes),
        "lex_range_read_limit": LONG_QUERY_CANDIDATES,
        **await people_index_memory(redis),
    }


async def people_index_memory(redis: Any) -> dict[str, Any]:
    """What the people index itself takes (MEMORY USAGE of every people:* key), apart from the
    user records and counters the rebuild also cached."""
    keys = [key async for key in redis.scan_iter("people:*", count=10_000)]
    total = 0
    for start in range(0, len(keys), 5_000):
        async with redis.pipeline(transaction=False) as pipe:
            for key in keys[start : start + 5_000]:
                pipe.memory_usage(key)
            total += sum(size or 0 for size in await pipe.execute())
    return {
        "people_index_keys": len(keys),
        "people_index_mb": round(total / 2**20, 1),
        "people_index_bytes_per_user": round(total / max(1, len(await redis.keys("people:terms:*")))),
        "redis_used_memory_mb_all_keys": round((await redis.info("memory"))["used_memory"] / 2**20, 1),
    }


async def over_http(base_url: str, queries: list[str], rounds: int) -> dict[str, Any]:
    body = "query($q: String!) { searchUsers(query: $q, first: 20) { edges { node { username followerCount } } } }"
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:

        async def typename() -> None:
            (await http.post("/graphql", json={"query": "{ __typename }"})).raise_for_status()

        texts = iter(queries * rounds)

        async def search() -> None:
            response = await http.post("/graphql", json={"query": body, "variables": {"q": next(texts)}})
            assert "errors" not in response.json(), response.text

        baseline = await time_calls(typename, len(queries) * rounds)
        searched = await time_calls(search, len(queries) * rounds)
    return {"baseline_typename": summarize_ms(baseline), "search_users": summarize_ms(searched)}


async def mongo_variant(
    client: Any, people: list[dict[str, Any]], queries: dict[str, list[str]], reps: int
) -> dict[str, Any]:
    """The alternative: a normalised multikey field with an index, ranked by followers in the sort."""
    collection = client["bench"]["people_search"]
    await collection.create_index([("prefixes", 1), ("followers", -1), ("_id", -1)], name="prefix_rank")
    started = time.perf_counter()
    for start in range(0, len(people), 10_000):
        await collection.insert_many(
            [
                {"_id": p["_id"], "followers": p["followers"], "prefixes": _prefixes(p)}
                for p in people[start : start + 10_000]
            ]
        )
    loaded_s = time.perf_counter() - started
    timings: dict[str, Any] = {}
    answers: dict[str, list[int]] = {}
    for cls in ("2 chars", "3-4 chars", "5-8 chars", "exact username"):
        samples = []
        for query in queries[cls][:reps]:
            began = time.perf_counter()
            rows = (
                await collection.find({"prefixes": query}, {"_id": 1})
                .sort([("followers", -1), ("_id", -1)])
                .limit(21)
                .to_list(21)
            )
            samples.append(time.perf_counter() - began)
            answers[query] = [row["_id"] for row in rows]
        timings[cls] = summarize_ms(samples)
    return {"load_s": round(loaded_s, 1), "by_class": timings, "answers": answers}


def _prefixes(person: dict[str, Any]) -> list[str]:
    terms = search_terms(person["username"], person["display_name"])
    # Prefixes up to MONGO_PREFIX_MAX characters, and every whole term (for exact usernames)
    return sorted({t[:n] for t in terms for n in range(2, min(len(t), MONGO_PREFIX_MAX) + 1)} | terms)


def planner_evidence(client: Any, queries: dict[str, list[str]]) -> dict[str, Any]:
    """litemongo's equivalent of explain(): the candidates its index hands the matcher (None = scan)."""
    planner = client.engine_client["bench"]["people_search"]._store._get_query_index()
    sample = {cls: queries[cls][0] for cls in ("2 chars", "3-4 chars", "5-8 chars", "exact username")}
    return {
        "documents": len(planner._docs),
        "indexed_query_candidates": {q: len(planner.candidates({"prefixes": q})) for q in sample.values()},
        "regex_scan_candidates": planner.candidates({"prefixes": {"$regex": "^" + sample["2 chars"]}}),
    }


async def home_with_followed_tags(services: Any, pages: int) -> dict[str, Any]:
    """The cost of pulling followed hashtags into home pages: two readers follow the same 50
    accounts, one also follows 10 tags whose windows are full (300 posts each, cap 200)."""
    db, ids, now = services.stores.db, services.ids, datetime.now(UTC)
    authors, taggers = list(range(900_001, 900_051)), list(range(900_100, 900_200))
    tags = [f"benchtag{n}" for n in range(10)]
    posts: list[tuple[int, list[str]]] = [(author, []) for author in authors for _ in range(20)]
    posts += [(taggers[n % len(taggers)], [tags[n % len(tags)]]) for n in range(3000)]
    random.Random(5).shuffle(posts)
    await db["posts"].insert_many(
        [{"_id": ids.next_id(), "author_id": author, "caption": "", "hashtags": post_tags, "mention_ids": [],
          "status": "VISIBLE", "created_at": now, "media": []} for author, post_tags in posts]
    )  # fmt: skip
    readers = {"accounts only": 900_500, "accounts and 10 tags": 900_501}
    for reader in readers.values():
        await db["follows"].insert_many([edge_document(reader, a, ids.next_id(), now) for a in authors])
    for tag in tags:
        await services.hashtags.follows.follow(readers["accounts and 10 tags"], tag)
    result: dict[str, Any] = {"followed_accounts": len(authors), "followed_tags": len(tags)}
    for name, reader in readers.items():
        first = await services.home.page(reader, None, 20)  # builds the feed and the tag windows
        deep = first
        for _ in range(3):
            deep = await services.home.page(reader, deep.items[-1].id, 20)
        cursor = deep.items[-1].id

        async def first_page(reader: int = reader) -> None:
            await services.home.page(reader, None, 20)

        async def fourth_page(reader: int = reader, cursor: int = cursor) -> None:
            await services.home.page(reader, cursor, 20)

        result[name] = {
            "first_page": summarize_ms(await time_calls(first_page, pages)),
            "fourth_page": summarize_ms(await time_calls(fourth_page, pages)),
        }
    return result


async def scan_baseline(db: Any, queries: list[str]) -> dict[str, Any]:
    """Search without an index: a case-insensitive prefix regex over every user (accents not even folded)."""
    samples = []
    for query in queries:
        began = time.perf_counter()
        pattern = {"$regex": f"^{query}", "$options": "i"}
        await (
            db["users"]
            .find({"$or": [{"username": pattern}, {"display_name": pattern}]}, {"_id": 1})
            .sort("_id", 1)
            .limit(21)
            .to_list(21)
        )
        samples.append(time.perf_counter() - began)
    return summarize_ms(samples)


async def main(quick: bool) -> None:
    total, per_class, mongo_reps, ng_reps = (10_000, 50, 20, 3) if quick else (100_000, 300, 100, 5)
    rng = random.Random(16)
    people = make_people(total, rng)
    queries = make_queries(people, rng, per_class)
    result: dict[str, Any] = {
        "benchmark": "discovery",
        "mode": "quick" if quick else "full",
        "machine": machine(),
    }
    # The machine is shared: wait (a while) for a quieter moment, and say how quiet it was
    result["load"] = await wait_until_idle(max_load=2.0, timeout_s=60 if quick else 900)
    result["settings"] = {"users": total, "queries_per_class": per_class, "page_size": 20,
                          "follower_counts": "Zipf (100000 / rank) over a random order",
                          "mongodb": "litemongo in memory (the stand-in)", "redis": "embedded redis-server"}  # fmt: skip
    async with embedded_stack(rate_limits="off") as stack:
        services = stack.services
        await load(services, people)
        # The stand-in keeps every document in this process's heap, which a MongoDB server does not:
        # move what is loaded out of the collector's way, so its full passes do not stall the searches
        gc.collect()
        gc.freeze()
        started = time.perf_counter()
        indexed = await services.search.rebuild()
        result["index_build"] = {"people": indexed, "seconds": round(time.perf_counter() - started, 1)}
        redis = services.stores.redis
        ping = await time_calls(redis.ping, 500)
        result["baseline_redis_round_trip"] = summarize_ms(ping)
        result["baseline_scan_without_index"] = scan_baseline_result = await scan_baseline(
            services.stores.db, queries["2 chars"][:5]
        )
        result["redis_people_index"] = await redis_search(services, queries)
        result["redis_people_index"]["p99_vs_scan_p50"] = round(
            scan_baseline_result["p50_ms"] / result["redis_people_index"]["warm_worst_class_p99_ms"], 1
        )
        result["redis_index_sizes"] = await index_sizes(services, queries)
        result["home_timeline_pull_of_followed_tags"] = await home_with_followed_tags(
            services, 100 if quick else 300
        )
        mixed = [q for cls in QUERY_CLASSES for q in queries[cls][:40]]
        result["http"] = await over_http(stack.base_url, mixed, rounds=1 if quick else 2)
    lite = await LiteMongoClient("litemongo+memory://bench-discovery").start()
    try:
        result["mongodb_normalised_field_on_litemongo"] = await mongo_variant(
            lite, people, queries, mongo_reps
        )
        result["litemongo_planner"] = planner_evidence(lite, queries)
    finally:
        await lite.close()
    mock = await SyncEngineClient(lambda: mongomock_ng.MongoClient(tz_aware=True)).start()
    try:
        ng = await mongo_variant(mock, people, queries, ng_reps)
    finally:
        await mock.close()
    lite_answers = result["mongodb_normalised_field_on_litemongo"].pop("answers")
    ng_answers = ng.pop("answers")
    ng["same_answers_as_litemongo"] = all(lite_answers[q] == a for q, a in ng_answers.items())
    result["mongodb_normalised_field_on_mongomock_ng"] = ng
    result["load"]["load_average_at_end"] = load_average()
    emit(result)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true")
    asyncio.run(main(parser.parse_args().quick))
