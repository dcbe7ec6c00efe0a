"""Reading the home timeline: the pushed feed merged with famous authors, cache-first.

Every source (the user's pushed feed, each famous followee's recent posts) vouches for
the posts above its floor. Above the floors a page comes from Redis alone; below them
(past the feed cap, or while a feed is being rebuilt) the missing range is read from
MongoDB, so scrolling never ends at the cap. All sources are ordered by post id, and
the cursor is the last post id returned, so pages have no gaps and no duplicates.

A user who is not active (passive or inactive) gets their feed rebuilt on their first
read, with bounded work: at most `max_rebuild_followees` accounts and `depth` posts each.
"""

from __future__ import annotations

import asyncio
import heapq
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple, Protocol, TypeVar

from services.foundation.pagination import Page
from services.timeline.feed_store import BUILDING_FLOOR

if TYPE_CHECKING:
    from aperture.settings import Settings
    from services.posts.service import PostRecord, PostService
    from services.privacy.policy import VisibilityPolicy
    from services.social.follows import FollowService
    from services.timeline.feed_store import FeedStore, Window
    from services.timeline.follower_index import FollowerIndex
    from services.timeline.recent import RecentPosts
    from services.timeline.user_classes import UserClassService


class Candidate(NamedTuple):
    """A post a page may show, and its author when the source that offered it knows. (A named
    tuple: a page makes fifty, and a frozen dataclass costs twice as much to make.)"""

    post_id: int
    author_id: int | None


T = TypeVar("T")
# What a page is made of: one item (or None, for a post gone or not visible) per candidate
Fetch = Callable[[Sequence[Candidate]], Awaitable[list[T | None]]]


@dataclass(frozen=True, slots=True)
class Sources:
    """What one read of the cached sources returned, below one cursor."""

    feed: Window
    active_ttl: int
    famous: list[int]
    windows: dict[int, Window]
    offered: list[list[int]]


class CandidateSource(Protocol):
    """Another source of home-timeline posts beside the followed accounts (followed hashtags):
    the `want` newest post ids below `before` it offers the viewer, newest first, exact. The
    merge drops ids that several sources offer, and the page drops posts not visible."""

    async def ids_before(self, viewer_id: int, before: int | None, want: int) -> list[int]: ...


DAY_S = 24 * 3600
_SLACK = 5  # extra candidates per round, to absorb deleted posts
_MAX_ROUNDS = 4
_REFRESH_AFTER_S = 3600
MIN_REBUILD_DEPTH = 20


class HomeTimeline:
    def __init__(
        self,
        *,
        settings: Settings,
        store: FeedStore,
        recent: RecentPosts,
        classes: UserClassService,
        posts: PostService,
        follows: FollowService,
        follower_index: FollowerIndex,
        policy: VisibilityPolicy,
        extra_sources: Sequence[CandidateSource] = (),
    ) -> None:
        self._policy = policy
        self._follower_index = follower_index
        self._settings = settings
        self._extra_sources = tuple(extra_sources)
        self._store = store
        self._recent = recent
        self._classes = classes
        self._posts = posts
        self._follows = follows
        self.feed_ttl_s = settings.inactive_days * DAY_S
        self.active_ttl_s = settings.active_days * DAY_S
        self.rebuilds = 0
        self.store_fallbacks = 0

    async def page(self, viewer_id: int, after: int | None, first: int) -> Page[PostRecord]:
        return await self.page_of(viewer_id, after, first, self._visible_records)

    async def page_of(self, viewer_id: int, after: int | None, first: int, fetch: Fetch[T]) -> Page[T]:
        """A page of whatever `fetch` makes of the candidates (a record, or a whole post card):
        None for a post that is gone or not visible.

        The sources are read concurrently, so a page costs three sequential Redis round trips:
        the feed with the followed famous accounts and hashtags, their windows (only when there
        are any), and what `fetch` reads, which can include each post's author, since the
        candidates carry the author wherever the source knows it. `fetch` gets `first + 1`
        candidates, and more (another round trip) only for those that were gone or hidden.
        """
        want = first + _SLACK
        sources = await self._read_sources(viewer_id, after, want)
        if not sources.feed.exists or sources.active_ttl < 0:
            await self.rebuild(viewer_id, max(first, MIN_REBUILD_DEPTH))
            sources = await self._read_sources(viewer_id, after, want)
        elif sources.active_ttl < self.active_ttl_s - _REFRESH_AFTER_S:
            await self._store.refresh(viewer_id, self.feed_ttl_s, self.active_ttl_s)

        visible: list[T] = []
        before = after
        exhausted = False
        for _ in range(_MAX_ROUNDS):
            if before != after:
                sources = await self._read_sources(viewer_id, before, want)
            candidates = await self._candidates(viewer_id, sources, before, want)
            # Only as many as the page still needs, and one more to show that a next page
            # exists: the slack is hydrated only where posts turned out gone or hidden
            start = 0
            while start < len(candidates) and len(visible) <= first:
                chunk = candidates[start : start + first + 1 - len(visible)]
                start += len(chunk)
                visible += [
                    item for item in await self._fetch_admitted(viewer_id, chunk, fetch) if item is not None
                ]
            if len(candidates) < want:
                exhausted = True
                break
            if len(visible) > first:
                break
            before = candidates[-1].post_id
        return Page(items=visible[:first], has_next=len(visible) > first or not exhausted)

    async def _fetch_admitted(
        self, viewer_id: int, candidates: list[Candidate], fetch: Fetch[T]
    ) -> list[T | None]:
        """What `fetch` makes of the candidates, None where the viewer may not see the author or
        muted them (services/privacy). The policy's reads are gathered with the fetch's, so they
        share its Redis round trip; posts offered without their author (followed hashtags) are
        looked up in the post cache first."""
        shown = candidates
        unknown = [c.post_id for c in candidates if c.author_id is None]
        if unknown:
            authors = {c.post_id: c.author_id for c in candidates if c.author_id is not None}
            for record in await self._posts.get_many(unknown):
                if record is not None:
                    authors[record.id] = record.author_id
            shown = [Candidate(c.post_id, authors.get(c.post_id)) for c in candidates]
        author_ids = list({c.author_id for c in shown if c.author_id is not None})
        items, allowed = await asyncio.gather(
            fetch(shown), self._policy.visible_authors(viewer_id, author_ids, home=True)
        )
        return [
            item if c.author_id is None or c.author_id in allowed else None
            for c, item in zip(shown, items, strict=True)
        ]

    async def _visible_records(self, candidates: Sequence[Candidate]) -> list[PostRecord | None]:
        records = await self._posts.get_many([candidate.post_id for candidate in candidates])
        return [record if record is not None and record.is_visible else None for record in records]

    async def _read_sources(self, viewer_id: int, before: int | None, want: int) -> Sources:
        (feed, active_ttl), (famous, windows), offered = await asyncio.gather(
            self._store.read_feed(viewer_id, before, want),
            self._famous_windows(viewer_id, before, want),
            asyncio.gather(*(source.ids_before(viewer_id, before, want) for source in self._extra_sources)),
        )
        return Sources(feed, active_ttl, famous, windows, offered)

    async def _famous_windows(
        self, viewer_id: int, before: int | None, want: int
    ) -> tuple[list[int], dict[int, Window]]:
        famous = await self._classes.famous_followees(viewer_id)
        return famous, await self._recent.windows(famous, before, want) if famous else {}

    async def feed_state(self, user_id: int) -> dict[str, int]:
        """Remaining TTLs (-2 when absent) of the user's feed cache and active marker."""
        return await self._store.state(user_id)

    async def ensure_ready(self, viewer_id: int) -> None:
        """Make the viewer's feed current and active, so that pushes (and live events) reach it."""
        window, active_ttl = await self._store.read_feed(viewer_id, None, 1)
        if not window.exists or active_ttl < 0:
            await self.rebuild(viewer_id, MIN_REBUILD_DEPTH)
        elif active_ttl < self.active_ttl_s - _REFRESH_AFTER_S:
            await self._store.refresh(viewer_id, self.feed_ttl_s, self.active_ttl_s)

    async def cached_candidates(self, viewer_id: int, limit: int) -> tuple[list[tuple[int, int]], bool]:
        """The newest posts (at most `limit`) that Redis alone vouches for, as (post id, author
        id): the pushed feed and the famous followees' recent sets, above the highest of their
        floors. Newest first, with whether older posts may exist. No post of the home timeline
        newer than the last one returned is missing, so `page(after=<its id>)` continues exactly
        below them. Not hydrated: deleted posts may still be among them.

        What the ranked timeline ranks: however far back the floors are, no MongoDB read. Posts
        of the extra sources (followed hashtags) are among them, with their authors read from
        the post cache; a source that offered `limit` posts vouches only down to its oldest.
        """
        await self.ensure_ready(viewer_id)
        read = await self._read_sources(viewer_id, None, limit)
        feed, windows, extra = read.feed, read.windows, read.offered
        floor = max([feed.floor, *(window.floor for window in windows.values())])
        authors = dict(zip(feed.ids, feed.authors, strict=True))
        for author_id, window in windows.items():
            authors.update(dict.fromkeys(window.ids, author_id))
        offered = sorted({post_id for ids in extra for post_id in ids if post_id not in authors})
        for record in await self._posts.get_many(offered):
            if record is not None:
                authors[record.id] = record.author_id
        floor = max([floor, *(ids[-1] - 1 for ids in extra if len(ids) >= limit)])
        allowed = await self._policy.visible_authors(viewer_id, list(set(authors.values())), home=True)
        above = sorted(
            (post_id for post_id, author_id in authors.items() if post_id > floor and author_id in allowed),
            reverse=True,
        )
        full = [window.ids for window in [feed, *windows.values()]] + list(extra)
        # Older posts may exist below the floor, past what the sources together offer here, or
        # below a source that offered all it was asked for
        more = floor > 0 or len(above) > limit or any(len(ids) >= limit for ids in full)
        return [(post_id, authors[post_id]) for post_id in above[:limit]], more

    async def newer_than(self, viewer_id: int, after: int, limit: int) -> tuple[list[PostRecord], bool]:
        """Visible posts above `after`, oldest first, and whether that is all of them (False
        when more than `limit` are newer). It walks the timeline itself, so it is exactly as
        gap-free as paging is, past the cache included.

        This is what a live client missed while it was disconnected.
        """
        newer: list[PostRecord] = []
        cursor: int | None = None
        # Small first: a stream that just began usually has nothing or a post or two to replay
        size = 10
        while len(newer) <= limit:
            page = await self.page(viewer_id, cursor, min(size, limit + 1))
            fresh = [record for record in page.items if record.id > after]
            newer += fresh
            if len(fresh) < len(page.items) or not page.has_next or not page.items:
                return list(reversed(newer[:limit])), len(newer) <= limit
            cursor = page.items[-1].id
            size = min(100, size * 4)
        return list(reversed(newer[:limit])), False

    async def _candidates(
        self, viewer_id: int, read: Sources, before: int | None, want: int
    ) -> list[Candidate]:
        """The `want` newest posts below `before` over every source, exact, each with its
        author where the source knows it."""
        feed = read.feed
        authors: dict[int, int] = dict(zip(feed.ids, feed.authors, strict=False))
        sources: list[list[int]] = [feed.ids]
        if feed.needs_store(want):
            self.store_fallbacks += 1
            bound = min(before, feed.floor + 1) if before is not None else feed.floor + 1
            pushed = await self._pushed_authors(viewer_id, read.famous)
            sources.append(await self._posts.ids_by_authors_before(pushed, bound, want))
        for author_id, window in read.windows.items():
            sources.append(window.ids)
            if window.needs_store(want):
                self.store_fallbacks += 1
                bound = min(before, window.floor + 1) if before is not None else window.floor + 1
                sources.append(await self._recent.older(author_id, bound, want))
            authors.update(dict.fromkeys(sources[-1], author_id))
            authors.update(dict.fromkeys(window.ids, author_id))
        sources += read.offered
        merged: list[Candidate] = []
        for post_id in heapq.merge(*sources, reverse=True):
            if not merged or merged[-1].post_id != post_id:
                merged.append(Candidate(post_id, authors.get(post_id)))
            if len(merged) == want:
                break
        return merged

    async def _pushed_authors(self, viewer_id: int, famous: list[int]) -> list[int]:
        followees = await self._follows.followee_ids(viewer_id, self._settings.max_rebuild_followees)
        famous_set = set(famous)
        return [a for a in [*followees, viewer_id] if a not in famous_set]

    async def rebuild(self, viewer_id: int, depth: int) -> None:
        """Rebuild a feed so that the newest `depth` posts are exact and later reads stay cheap."""
        self.rebuilds += 1
        previous_floor = await self._store.begin_feed(viewer_id, self.feed_ttl_s, self.active_ttl_s)
        if previous_floor == BUILDING_FLOOR:
            previous_floor = 0
        famous = await self._classes.famous_followees(viewer_id)
        authors = await self._pushed_authors(viewer_id, famous)
        # Worth pushing to again: back into the follower indexes that fan-out reads
        await self._follower_index.add_to_authors(viewer_id, [a for a in authors if a != viewer_id])
        windows = await self._recent.windows(authors, None, depth)
        entries: list[tuple[int, int]] = []
        floor = previous_floor
        for author_id, window in windows.items():
            trusted = window.trusted()
            entries += [(post_id, author_id) for post_id in window.ids]
            author_floor = trusted[-1] - 1 if len(trusted) >= depth else window.floor
            floor = max(floor, author_floor)
        await self._store.finish_feed(viewer_id, entries, self._settings.feed_cap, floor)
