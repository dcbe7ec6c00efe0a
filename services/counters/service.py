"""Approximate, asynchronous counters that never drift.

Owns the `counters` collection and the `counts:{kind:id}` hashes, and the dirty sets
`counts:{dirty:<n>}` with their in-flight twins `counts:{dirty:<n>}:flushing`.

Writes bump a hot Redis hash and mark the entity dirty. A flush job then recounts
the real edges (likes, comments, follows, posts) of each dirty entity, stores the
exact numbers in MongoDB and corrects Redis, unless Redis moved on meanwhile, in
which case the entity stays dirty for the next flush. So a count can lag for a
moment, but it always converges to the number of edges, and it is never negative.
"""

from __future__ import annotations

import asyncio
import time
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from pymongo import UpdateOne

from services.counters.events import CountsChanged, CountsSettled
from services.counters.job_names import CounterJob
from services.foundation.cluster_safe import ScriptBatch
from services.foundation.turn_batch import TurnBatch

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    import redis.asyncio as aioredis
    from pymongo.asynchronous.database import AsyncDatabase

    from services.foundation.events import EventBus
    from services.foundation.job_queue import JobQueue

    ExactCounter = Callable[[Sequence[int]], Awaitable[dict[int, int]]]

POST = "post"
USER = "user"
NOTICE = "notice"  # a notification group: how many contributions it gathers
FIELDS: dict[str, tuple[str, ...]] = {
    POST: ("likes", "comments"),
    USER: ("followers", "following", "posts"),
    NOTICE: ("activities",),
}
DIRTY_SHARDS = 16
_TTL_S = 7 * 24 * 3600
_FLUSH_DELAY_S = 1.0

_ADJUST = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2])
redis.call('HINCRBY', KEYS[1], 'v', 1)
return 1
"""
_LOAD = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
for i = 1, #ARGV - 1, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('HSET', KEYS[1], 'v', 0)
redis.call('EXPIRE', KEYS[1], ARGV[#ARGV])
return 1
"""
# Take up to ARGV[1] dirty marks, keeping them in the in-flight set until they are flushed,
# so a flusher that dies mid-batch loses nothing. KEYS = (dirty, flushing).
_CLAIM = """
local members = redis.call('SPOP', KEYS[1], ARGV[1])
if #members > 0 then redis.call('SADD', KEYS[2], unpack(members)) end
return members
"""
# Put the marks of a flusher that died back into the dirty set. KEYS = (dirty, flushing).
_RECLAIM = """
if redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
redis.call('SUNIONSTORE', KEYS[1], KEYS[1], KEYS[2])
redis.call('DEL', KEYS[2])
return 1
"""
_CORRECT = """
local v = redis.call('HGET', KEYS[1], 'v')
if not v then return 1 end
if v ~= ARGV[1] then return 0 end
for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
return 1
"""


def counts_key(kind: str, entity_id: int) -> str:
    return f"counts:{{{kind}:{entity_id}}}"


def dirty_shard_key(shard: int) -> str:
    # Tagged by shard: each shard and its in-flight set share a slot, and shards spread
    return f"counts:{{dirty:{shard}}}"


def flushing_shard_key(shard: int) -> str:
    return f"{dirty_shard_key(shard)}:flushing"


def dirty_key(kind: str, entity_id: int) -> str:
    return dirty_shard_key(zlib.crc32(f"{kind}:{entity_id}".encode()) % DIRTY_SHARDS)


def _count(value: str | None) -> int:
    return int(value or 0)


@dataclass(frozen=True, slots=True)
class Counts:
    values: dict[str, int]

    def __getitem__(self, field: str) -> int:
        # Transient over-decrements are clamped; the next flush corrects them
        return max(0, self.values.get(field, 0))


class CounterService:
    def __init__(
        self,
        db: AsyncDatabase[dict[str, Any]],
        redis: aioredis.Redis,
        queue: JobQueue,
        *,
        bus: EventBus,
        flush_delay_s: float = _FLUSH_DELAY_S,
        turns: TurnBatch | None = None,
    ) -> None:
        self._turns = turns or TurnBatch(redis)
        self._bus = bus
        self._flush_delay_s = flush_delay_s
        self._counters = db["counters"]
        self._redis = redis
        self._queue = queue
        self._exact: dict[tuple[str, str], ExactCounter] = {}
        self._adjust = redis.register_script(_ADJUST)
        self._load = redis.register_script(_LOAD)
        self._correct = redis.register_script(_CORRECT)
        self._claim = redis.register_script(_CLAIM)
        self._reclaim = redis.register_script(_RECLAIM)
        self._flush_slot = 0

    async def ensure_indexes(self) -> None:
        """Keyed by "kind:id"; no secondary index."""

    def register_exact(self, kind: str, field: str, counter: ExactCounter) -> None:
        """How the flush counts the edges behind one field; the owner of those edges provides it
        (registered at start-up by services/reactions.py)."""
        self._exact[(kind, field)] = counter

    def missing_exact_counters(self) -> list[tuple[str, str]]:
        return [
            (kind, field)
            for kind, fields in FIELDS.items()
            for field in fields
            if (kind, field) not in self._exact
        ]

    def forget_flush_schedule(self) -> None:
        """Enqueue the next flush again, after the queue was wiped under this process (tests)."""
        self._flush_slot = 0

    async def adjust(self, kind: str, entity_id: int, field: str, delta: int) -> None:
        key = counts_key(kind, entity_id)
        # Two slots on a cluster (the counts and a dirty shard); neither step needs the other
        batch = ScriptBatch(self._redis)
        await batch.script(self._adjust, [key], [field, delta])
        batch.pipe.sadd(dirty_key(kind, entity_id), f"{kind}:{entity_id}")
        applied, _ = await batch.execute()
        if not applied:
            # Cold key: load the last flushed value, then apply. A double count here is
            # corrected by the flush that the dirty mark guarantees.
            await self._load_from_store(kind, [entity_id])
            await self._adjust(keys=[key], args=[field, delta])
        await self._schedule_flush()
        await self._bus.publish(CountsChanged(kind, entity_id))

    async def initialize(self, kind: str, entity_id: int) -> None:
        """A new entity starts at zero everywhere, so its first read needs no store."""
        args: list[Any] = []
        for field in FIELDS[kind]:
            args += [field, 0]
        await self._load(keys=[counts_key(kind, entity_id)], args=[*args, _TTL_S])

    async def get_many(self, kind: str, entity_ids: Sequence[int]) -> list[Counts]:
        if not entity_ids:
            return []
        fields = FIELDS[kind]
        # One script call for a page's counts on one node, where it was a command per post: a
        # home page sends 24 commands instead of 48 (on a cluster it stays a command per key)
        rows = await self._turns.per_key(
            "HMGET", [counts_key(kind, entity_id) for entity_id in entity_ids], *fields
        )
        # A hash is never half there: its first field tells whether it is cached
        cached = [
            None if row[0] is None else Counts(dict(zip(fields, map(_count, row), strict=True)))
            for row in rows
        ]
        missing = [entity_id for entity_id, counts in zip(entity_ids, cached, strict=True) if counts is None]
        if not missing:
            return cast("list[Counts]", cached)
        loaded = await self._load_from_store(kind, missing)
        return [
            loaded[entity_id] if counts is None else counts
            for entity_id, counts in zip(entity_ids, cached, strict=True)
        ]

    async def _load_from_store(self, kind: str, entity_ids: Sequence[int]) -> dict[int, Counts]:
        unique = list(dict.fromkeys(entity_ids))
        documents = await self._counters.find({"_id": {"$in": [f"{kind}:{i}" for i in unique]}}).to_list(
            len(unique)
        )
        stored = {int(d["_id"].split(":", 1)[1]): d for d in documents}
        loaded: dict[int, Counts] = {}
        batch = ScriptBatch(self._redis)
        for entity_id in unique:
            document = stored.get(entity_id, {})
            values = {field: int(document.get(field, 0)) for field in FIELDS[kind]}
            loaded[entity_id] = Counts(values)
            args: list[Any] = []
            for field, value in values.items():
                args += [field, value]
            await batch.script(self._load, [counts_key(kind, entity_id)], [*args, _TTL_S])
        await batch.execute()
        return loaded

    async def _schedule_flush(self) -> None:
        """Make sure a flush runs after this write.

        Time is cut into slots as long as the flush delay. A write in slot k enqueues job k,
        deferred by one delay, so job k starts only after slot k is over, after every write
        of the slot. arq merges the enqueues of all processes into one job per slot, and
        each process enqueues at most once per slot.
        """
        slot = int(time.time() / self._flush_delay_s)
        if slot == self._flush_slot:
            return
        self._flush_slot = slot
        flush = CounterJob.FLUSH_COUNTERS
        await self._queue.enqueue(flush, job_id=f"{flush.value}:{slot}", defer_s=self._flush_delay_s)

    async def pending(self) -> int:
        async with self._redis.pipeline(transaction=False) as pipe:
            for shard in range(DIRTY_SHARDS):
                pipe.scard(dirty_shard_key(shard))
            sizes = await pipe.execute()
        return int(sum(sizes))

    async def flush(self, batch: int = 100) -> int:
        """Recount every dirty entity once; returns how many were flushed.

        Batches are small so each is quick: the marks of a batch cut short by the job timeout
        are taken again by the next flush, so a batch must fit well within the timeout.

        Marks stay in an in-flight set until their batch is written, and each flush first puts
        back what a dead flusher left there (a live one's batch may then be flushed twice,
        which is harmless: a flush is a recount)."""
        flushed = 0
        for shard in range(DIRTY_SHARDS):
            keys = [dirty_shard_key(shard), flushing_shard_key(shard)]
            await self._reclaim(keys=keys)
            while True:
                members = cast("list[str]", await self._claim(keys=keys, args=[batch]))
                if not members:
                    break
                flushed += await self._flush_members(list(members))
                await self._redis.srem(keys[1], *members)  # type: ignore[misc]
        return flushed

    async def _flush_members(self, members: list[str]) -> int:
        by_kind: dict[str, list[int]] = {}
        for member in members:
            kind, _, raw_id = member.partition(":")
            if kind in FIELDS and raw_id.isdigit():
                by_kind.setdefault(kind, []).append(int(raw_id))
        for kind, ids in by_kind.items():
            await self._flush_kind(kind, ids)
        return sum(len(ids) for ids in by_kind.values())

    async def _flush_kind(self, kind: str, entity_ids: list[int]) -> None:
        fields = FIELDS[kind]
        versions = await self._redis_versions(kind, entity_ids)
        exact_by_field = dict(
            zip(
                fields,
                await asyncio.gather(*(self._exact[(kind, field)](entity_ids) for field in fields)),
                strict=True,
            )
        )
        exact = {
            entity_id: {field: exact_by_field[field].get(entity_id, 0) for field in fields}
            for entity_id in entity_ids
        }
        for field in fields:
            await self._bus.publish(
                CountsSettled(kind, field, {entity_id: exact[entity_id][field] for entity_id in entity_ids})
            )
        await self._counters.bulk_write(
            [
                UpdateOne({"_id": f"{kind}:{entity_id}"}, {"$set": values}, upsert=True)
                for entity_id, values in exact.items()
            ],
            ordered=False,
        )
        batch = ScriptBatch(self._redis)
        for entity_id, values in exact.items():
            args: list[Any] = [versions[entity_id]]
            for field, value in values.items():
                args += [field, value]
            await batch.script(self._correct, [counts_key(kind, entity_id)], args)
        outcomes = await batch.execute()
        moved_on = [entity_id for entity_id, ok in zip(exact, outcomes, strict=True) if not ok]
        if moved_on:
            async with self._redis.pipeline(transaction=False) as pipe:
                for entity_id in moved_on:
                    pipe.sadd(dirty_key(kind, entity_id), f"{kind}:{entity_id}")
                await pipe.execute()
            await self._schedule_flush()

    async def _redis_versions(self, kind: str, entity_ids: list[int]) -> dict[int, str]:
        async with self._redis.pipeline(transaction=False) as pipe:
            for entity_id in entity_ids:
                pipe.hget(counts_key(kind, entity_id), "v")
            versions = await pipe.execute()
        return {entity_id: (v or "") for entity_id, v in zip(entity_ids, versions, strict=True)}
