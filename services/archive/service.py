"""The archival service: demotes old, quiet posts to the cold tier and promotes them back when
they are read again. Owns the `tiers:*` Redis keys (the scan cursor and read counts).

A run scans the hot tier in id order from a checkpoint, a batch at a time, so it is
resumable and bounded; each move is idempotent (see PostStore), so a killed run loses
and duplicates nothing and the next run finishes its work.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from services.archive.events import PostsMovedTier
from services.archive.job_names import ArchiveJob
from services.counters.service import POST
from services.foundation.blobs import MEDIA_PREFIX
from services.foundation.clock import utc_now
from services.foundation.ids import id_floor_for

if TYPE_CHECKING:
    from collections.abc import Sequence

    import redis.asyncio as aioredis

    from aperture.settings import Settings
    from services.counters.service import CounterService
    from services.foundation.blobs import BlobStore
    from services.foundation.events import EventBus
    from services.foundation.job_queue import JobQueue
    from services.posts.store import PostStore

log = logging.getLogger(__name__)

CURSOR_KEY = "tiers:archive-cursor"
HOT_STORAGE_CLASS = "STANDARD"
_READS_TTL_S = 24 * 3600


def reads_key(post_id: int) -> str:
    return f"tiers:reads:{{{post_id}}}"


@dataclass
class ArchiveReport:
    scanned: int = 0
    archived: int = 0
    kept_for_engagement: int = 0
    finished: bool = False
    archived_ids: list[int] = field(default_factory=list)


class ArchiveService:
    def __init__(
        self,
        *,
        settings: Settings,
        store: PostStore,
        counters: CounterService,
        blobs: BlobStore,
        redis: aioredis.Redis,
        queue: JobQueue,
        bus: EventBus,
    ) -> None:
        self._bus = bus
        self._settings = settings
        self._store = store
        self._counters = counters
        self._blobs = blobs
        self._redis = redis
        self._queue = queue

    async def ensure_indexes(self) -> None:
        """Uses PostStore's collections and indexes."""

    async def run(
        self,
        *,
        age: timedelta | None = None,
        max_engagement: int | None = None,
        batch: int = 200,
        max_batches: int = 25,
    ) -> ArchiveReport:
        """Archive up to `batch * max_batches` posts, continuing from the last checkpoint."""
        age = age if age is not None else timedelta(days=self._settings.archive_after_days)
        threshold = max_engagement if max_engagement is not None else self._settings.archive_max_engagement
        now = utc_now()
        older_than = id_floor_for(now - age)
        report = ArchiveReport()
        # Every candidate of this run is older than `older_than`
        await self._store.open_for_archival(older_than - 1)
        after = int(await self._redis.get(CURSOR_KEY) or 0)
        for _ in range(max_batches):
            candidates = await self._store.archive_candidates(older_than, now - age, after, batch)
            if not candidates:
                await self._redis.delete(CURSOR_KEY)  # the next run starts from the beginning
                report.finished = True
                break
            counts = await self._counters.get_many(POST, [c["_id"] for c in candidates])
            quiet = []
            for document, engagement in zip(candidates, counts, strict=True):
                report.scanned += 1
                if engagement["likes"] + engagement["comments"] > threshold:
                    report.kept_for_engagement += 1
                else:
                    quiet.append(document)
            for document in quiet:
                await self._set_storage_class(document, self._settings.s3_cold_storage_class)
            await self._store.move_to_archive(quiet)
            if quiet:
                await self._bus.publish(PostsMovedTier(tuple(document["_id"] for document in quiet)))
            report.archived += len(quiet)
            report.archived_ids += [document["_id"] for document in quiet]
            after = candidates[-1]["_id"]
            await self._redis.set(CURSOR_KEY, after)
        else:
            # More remains: continue in a fresh job rather than hold one for long
            job = ArchiveJob.ARCHIVE_POSTS
            await self._queue.enqueue(
                job, age.total_seconds(), threshold, job_id=f"{job.value}:continue:{after}"
            )
        log.info("archival run", extra={"archived": report.archived, "scanned": report.scanned})
        return report

    async def on_cold_reads(self, post_ids: Sequence[int]) -> None:
        """Count reads of archived posts; a post read often enough is promoted back to hot."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for post_id in post_ids:
                pipe.incr(reads_key(post_id))
                pipe.expire(reads_key(post_id), _READS_TTL_S)
            results = await pipe.execute()
        for post_id, reads in zip(post_ids, results[::2], strict=True):
            if int(reads) >= self._settings.promote_after_reads:
                job = ArchiveJob.PROMOTE_POST
                await self._queue.enqueue(job, post_id, job_id=f"{job.value}:{post_id}")

    async def promote(self, post_id: int) -> bool:
        document = await self._store.move_to_hot(post_id, utc_now())
        if document is None:
            # Already promoted, perhaps by a run that was killed after copying it back
            await self._store.drop_promoted_leftovers([post_id])
            return False
        await self._set_storage_class(document, HOT_STORAGE_CLASS)
        await self._redis.delete(reads_key(post_id))
        await self._bus.publish(PostsMovedTier((post_id,)))
        return True

    async def _set_storage_class(self, document: dict[str, object], storage_class: str) -> None:
        """Every stored variant of the post, HLS segments included (a no-op on local disk)."""
        if not document.get("media"):
            return
        for key in await self._blobs.list_keys(f"{MEDIA_PREFIX}{document['_id']}/"):
            await self._blobs.set_storage_class(key, storage_class)

    async def tier_counts(self) -> dict[str, int]:
        return await self._store.tier_counts()
