"""The ranked home timeline: the newest posts of the home timeline, ranked, then the rest by time.

A first page reads the candidates (the newest `max_candidates` posts of the chronological home
timeline, feed and famous authors alike, no older than the window), scores them (scoring.py),
re-ranks them for diversity (diversity.py) and keeps the order as a snapshot (snapshots.py).
Later pages read their slice of that snapshot, so new posts and likes never move what a viewer
is scrolling through. Past the last ranked post the feed continues with the chronological
timeline below the oldest candidate, which is exactly the set of posts not ranked: nothing is
skipped or repeated across the seam.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from services.foundation.errors import DomainError, ErrorCode
from services.foundation.ids import id_floor_for
from services.ranking.diversity import diversify
from services.ranking.positions import SnapshotPosition, TailPosition
from services.ranking.scoring import ranking_order, score_post
from services.ranking.snapshots import SnapshotEntry, SnapshotMeta

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from services.foundation.ids import IdGenerator
    from services.posts.records import PostRecord
    from services.posts.service import PostService
    from services.ranking.config import RankingConfig
    from services.ranking.positions import RankedPosition
    from services.ranking.scoring import RankedPost
    from services.ranking.signals import EngagementSignals
    from services.ranking.snapshots import SnapshotStore
    from services.timeline.home import HomeTimeline

_SLACK = 5  # extra entries read per page, to absorb posts deleted since the ranking
_MAX_ROUNDS = 4


@dataclass(frozen=True, slots=True)
class RankedItem:
    """A post on a ranked page; `ranked` is None past the ranked posts (newest first there)."""

    post: PostRecord
    position: RankedPosition
    ranked: RankedPost | None


@dataclass(frozen=True, slots=True)
class RankedPage:
    items: list[RankedItem]
    has_next: bool


def snapshot_expired() -> DomainError:
    return DomainError(
        ErrorCode.SNAPSHOT_EXPIRED,
        "this ranking is no longer kept: load the first page of the ranked timeline again",
        "after",
    )


class RankedHomeTimeline:
    def __init__(
        self,
        *,
        config: RankingConfig,
        home: HomeTimeline,
        posts: PostService,
        signals: EngagementSignals,
        snapshots: SnapshotStore,
        ids: IdGenerator,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._config = config
        self._home = home
        self._posts = posts
        self._signals = signals
        self._snapshots = snapshots
        self._ids = ids
        self._clock = clock

    async def page(self, viewer_id: int, after: RankedPosition | None, first: int) -> RankedPage:
        if after is None:
            return await self._rank(viewer_id, first)
        if isinstance(after, TailPosition):
            return await self._tail(viewer_id, after.post_id, first, [])
        return await self._from_snapshot(viewer_id, after, first)

    async def _rank(self, viewer_id: int, first: int) -> RankedPage:
        now_s = self._clock()
        # Made current (rebuilt with bounded depth if the viewer was away) before a deep read,
        # so that a deep read never turns into a deep rebuild
        await self._home.ensure_ready(viewer_id)
        latest = await self._home.page(viewer_id, None, self._config.max_candidates)
        oldest = id_floor_for(datetime.fromtimestamp(now_s - self._config.window_s, UTC))
        candidates = [post for post in latest.items if post.id >= oldest]
        if not candidates:
            return await self._tail(viewer_id, None, first, [])
        more = latest.has_next or len(candidates) < len(latest.items)
        ranked = await self.rank(viewer_id, candidates, now_s)
        meta = SnapshotMeta(created_s=now_s, size=len(ranked), boundary=candidates[-1].id, more=more)
        entries = [entry for _, entry in ranked]
        page = [post for post, _ in ranked[:first]]
        snapshot_id = self._ids.next_id()
        slot = await self._snapshots.save(viewer_id, snapshot_id, meta, entries, [p.post_id for p in page])
        by_id = {post.id: post for post in candidates}
        items = [
            RankedItem(by_id[post.post_id], SnapshotPosition(snapshot_id, slot, index), post)
            for index, post in enumerate(page)
        ]
        if len(ranked) > first or not more:
            return RankedPage(items, has_next=len(ranked) > first)
        return await self._tail(viewer_id, meta.boundary, first, items)

    async def rank(
        self, viewer_id: int, candidates: Sequence[PostRecord], now_s: float
    ) -> list[tuple[RankedPost, SnapshotEntry]]:
        """The candidates in ranked order, each with the signals it was scored with."""
        authors = list({post.author_id for post in candidates})
        post_ids = [post.id for post in candidates]
        (affinities, velocities), shown = await asyncio.gather(
            self._signals.read(viewer_id, authors, post_ids, now_s),
            self._snapshots.shown_before(viewer_id, post_ids),
        )
        scored: dict[int, SnapshotEntry] = {}
        ranked: list[RankedPost] = []
        for post in candidates:
            entry = SnapshotEntry(post.id, affinities[post.author_id], velocities[post.id], post.id in shown)
            scored[post.id] = entry
            ranked.append(self._score(viewer_id, post.author_id, entry, now_s))
        ranked.sort(key=ranking_order)
        return [(post, scored[post.post_id]) for post in diversify(ranked)]

    def _score(self, viewer_id: int, author_id: int, entry: SnapshotEntry, now_s: float) -> RankedPost:
        return score_post(
            entry.post_id,
            author_id,
            viewer_id=viewer_id,
            affinity=entry.affinity,
            velocity=entry.velocity,
            shown_before=entry.shown_before,
            now_s=now_s,
            config=self._config,
        )

    async def _from_snapshot(self, viewer_id: int, after: SnapshotPosition, first: int) -> RankedPage:
        items: list[RankedItem] = []
        position = after
        meta: SnapshotMeta | None = None
        exhausted = False
        for _ in range(_MAX_ROUNDS):
            wanted = first - len(items)
            found = await self._snapshots.read(viewer_id, position, wanted + _SLACK, wanted, self._clock())
            if found is None:
                raise snapshot_expired()
            meta, entries = found
            records = await self._posts.get_many([entry.post_id for entry in entries])
            for entry, record in zip(entries, records, strict=True):
                if len(items) == first:
                    break
                position = SnapshotPosition(after.snapshot_id, after.slot, position.index + 1)
                if record is not None and record.is_visible:
                    ranked = self._score(viewer_id, record.author_id, entry, meta.created_s)
                    items.append(RankedItem(record, position, ranked))
            exhausted = len(entries) < wanted + _SLACK
            if len(items) == first or exhausted:
                break
        if meta is None:  # pragma: no cover - the loop runs at least once
            raise snapshot_expired()
        ranked_left = position.index + 1 < meta.size
        if len(items) == first or ranked_left or not meta.more:
            return RankedPage(items, has_next=ranked_left or meta.more)
        return await self._tail(viewer_id, meta.boundary, first, items)

    async def _tail(
        self, viewer_id: int, before: int | None, first: int, items: list[RankedItem]
    ) -> RankedPage:
        """Fill the page from the chronological timeline below `before` (the oldest ranked post)."""
        page = await self._home.page(viewer_id, before, first - len(items))
        items = items + [RankedItem(post, TailPosition(post.id), None) for post in page.items]
        return RankedPage(items, has_next=page.has_next)
