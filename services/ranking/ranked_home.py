"""The ranked home timeline: the newest posts of the home timeline, ranked, then the rest by time.

A first page reads the candidates (the newest `max_candidates` posts of the home timeline that
its Redis sources vouch for, feed and famous authors alike, no older than the window), scores
them (scoring.py), re-ranks them for diversity (diversity.py) and keeps the order as a snapshot
(snapshots.py). Later pages read their slice of that snapshot, so new posts and likes never
move what a viewer is scrolling through. Past the last ranked post the feed continues with the chronological
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
from services.ranking.scoring import Candidate, explain, ranking_order, score
from services.ranking.snapshots import SnapshotEntry, SnapshotMeta

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from services.foundation.ids import IdGenerator
    from services.posts.records import PostRecord
    from services.posts.service import PostService
    from services.ranking.audiences import AuthorAudiences
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
        audiences: AuthorAudiences,
        signals: EngagementSignals,
        snapshots: SnapshotStore,
        ids: IdGenerator,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._config = config
        self._home = home
        self._posts = posts
        self._audiences = audiences
        self._signals = signals
        self._snapshots = snapshots
        self._ids = ids
        self._clock = clock

    async def page(self, viewer_id: int, after: RankedPosition | None, first: int) -> RankedPage:
        if after is None:
            return await self._rank(viewer_id, first)
        if isinstance(after, TailPosition):
            return await self._tail(viewer_id, after.post_id, first, [])
        return await self._serve(viewer_id, after, first)

    async def _rank(self, viewer_id: int, first: int) -> RankedPage:
        now_s = self._clock()
        newest, older = await self._home.cached_candidates(viewer_id, self._config.max_candidates)
        oldest = id_floor_for(datetime.fromtimestamp(now_s - self._config.window_s, UTC))
        candidates = [(post_id, author_id) for post_id, author_id in newest if post_id >= oldest]
        if not candidates:
            return await self._tail(viewer_id, None, first, [])
        more = older or len(candidates) < len(newest)
        ranked = await self.rank(viewer_id, candidates, now_s)
        meta = SnapshotMeta(created_s=now_s, size=len(ranked), boundary=candidates[-1][0], more=more)
        snapshot_id = self._ids.next_id()
        head = ranked[: first + _SLACK]
        slot, records = await asyncio.gather(
            self._snapshots.save(
                viewer_id, snapshot_id, meta, ranked, [entry.post_id for entry in ranked[:first]]
            ),
            self._posts.get_many([entry.post_id for entry in head]),
        )
        before_first = SnapshotPosition(snapshot_id, slot, -1)
        return await self._serve(viewer_id, before_first, first, (meta, head, records))

    async def rank(
        self, viewer_id: int, candidates: Sequence[tuple[int, int]], now_s: float
    ) -> list[SnapshotEntry]:
        """The candidates, as (post id, author id), in ranked order, each with the signals it
        was scored with."""
        authors = list({author_id for _, author_id in candidates})
        post_ids = [post_id for post_id, _ in candidates]
        (affinities, velocities), shown, followers = await asyncio.gather(
            self._signals.read(viewer_id, authors, post_ids, now_s),
            self._snapshots.shown_before(viewer_id),
            self._audiences.followers(authors),
        )
        entries: dict[int, SnapshotEntry] = {}
        scored: list[Candidate] = []
        for post_id, author_id in candidates:
            entry = SnapshotEntry(
                post_id, affinities[author_id], velocities[post_id], followers[author_id], post_id in shown
            )
            entries[post_id] = entry
            value = score(
                post_id,
                entry.affinity,
                entry.velocity,
                entry.author_followers,
                now_s=now_s,
                config=self._config,
            )
            scored.append(Candidate(post_id, author_id, value, entry.shown_before))
        scored.sort(key=ranking_order)
        return [entries[candidate.post_id] for candidate in diversify(scored)]

    def _explain(self, viewer_id: int, author_id: int, entry: SnapshotEntry, now_s: float) -> RankedPost:
        return explain(
            entry.post_id,
            author_id,
            viewer_id=viewer_id,
            affinity=entry.affinity,
            velocity=entry.velocity,
            followers=entry.author_followers,
            shown_before=entry.shown_before,
            now_s=now_s,
            config=self._config,
        )

    async def _serve(
        self,
        viewer_id: int,
        after: SnapshotPosition,
        first: int,
        known: tuple[SnapshotMeta, list[SnapshotEntry], list[PostRecord | None]] | None = None,
    ) -> RankedPage:
        """The visible posts after `after` in a kept ranking, then by time past its end. The
        first slice, hydrated, comes from `known` when the caller holds it, else from Redis."""
        items: list[RankedItem] = []
        position = after
        for _ in range(_MAX_ROUNDS):
            wanted = first - len(items)
            if known is not None:
                meta, entries, records = known
                known = None
            else:
                found = await self._snapshots.read(
                    viewer_id, position, wanted + _SLACK, wanted, self._clock()
                )
                if found is None:
                    raise snapshot_expired()
                meta, entries = found
                records = await self._posts.get_many([entry.post_id for entry in entries])
            for entry, record in zip(entries, records, strict=True):
                if len(items) == first:
                    break
                position = SnapshotPosition(after.snapshot_id, after.slot, position.index + 1)
                if record is not None and record.is_visible:
                    explained = self._explain(viewer_id, record.author_id, entry, meta.created_s)
                    items.append(RankedItem(record, position, explained))
            if len(items) == first or position.index + 1 >= meta.size:
                break
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
