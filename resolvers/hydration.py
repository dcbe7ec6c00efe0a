"""Hydrate a page of posts with a fixed number of batched calls, before GraphQL walks it.

Fields then resolve from plain attributes instead of one awaitable per post and field,
which is most of the cost of a page in strawberry (about 40 microseconds per awaitable).
The loaders' batch functions are called once each, concurrently, so their Redis reads go
out in the same round trip (services/foundation/turn_batch.py).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Sequence

    from dataloaders import Loaders
    from services.accounts.users import UserRecord
    from services.counters.service import Counts
    from services.posts.records import PostRecord
    from services.timeline.home import Candidate, Fetch

_AUTHOR_FIELDS = {"author"}
_COUNT_FIELDS = {"likeCount", "commentCount"}
_LIKED_FIELDS = {"viewerHasLiked"}


class HydratedPost(NamedTuple):
    """A post with what a page asked for loaded in batches; None where nothing was loaded,
    and the field then loads on demand. (A named tuple: made per post of every page.)"""

    record: PostRecord
    author: UserRecord | None = None
    counts: Counts | None = None
    liked: bool | None = None


def card_fetch(loaders: Loaders, fields: set[str]) -> Fetch[HydratedPost]:
    """What the home timeline makes of its candidates: each visible post with what the page
    asked for, the records and the rest read together. The candidates carry their authors
    (from the feed), so one round trip serves a page; an author no source knew costs one
    more, for those posts only."""
    wants_author = bool(fields & _AUTHOR_FIELDS)
    wants_counts = bool(fields & _COUNT_FIELDS)
    wants_liked = bool(fields & _LIKED_FIELDS)

    async def fetch(candidates: Sequence[Candidate]) -> list[HydratedPost | None]:
        post_ids = [candidate.post_id for candidate in candidates]
        known = [c.author_id for c in candidates if c.author_id is not None] if wants_author else []
        # One flat gather: every read is queued in the same turn, so they share one round trip.
        # Only the authors are kept in the loaders: other fields of the request may ask for them
        records, authors, counts, liked = await asyncio.gather(
            loaders.post_by_id.load_batch(post_ids, keep=False),
            loaders.user_by_id.load_batch(known) if known else _nothing(),
            loaders.post_counts.load_batch(post_ids, keep=False) if wants_counts else _nothing(),
            loaders.viewer_has_liked.load_batch(post_ids, keep=False) if wants_liked else _nothing(),
        )
        author_of = dict(zip(known, authors, strict=True))
        missing = [r.author_id for r in records if r is not None and r.author_id not in author_of]
        if wants_author and missing:
            author_of.update(zip(missing, await loaders.user_by_id.load_batch(missing), strict=True))
        return [
            HydratedPost(
                record,
                author=author_of.get(record.author_id),
                counts=counts[index] if wants_counts else None,
                liked=liked[index] if wants_liked else None,
            )
            if record is not None and record.is_visible
            else None
            for index, record in enumerate(records)
        ]

    return fetch


async def _nothing() -> list[Any]:
    return []


async def hydrate_posts(
    loaders: Loaders, records: Sequence[PostRecord], fields: set[str]
) -> list[HydratedPost]:
    loaders.post_by_id.prime_many({record.id: record for record in records})  # no-op when loaded
    post_ids = [record.id for record in records]
    jobs: dict[str, Any] = {}
    if fields & _AUTHOR_FIELDS:
        jobs["author"] = loaders.user_by_id.load_batch([record.author_id for record in records])
    if fields & _COUNT_FIELDS:
        jobs["counts"] = loaders.post_counts.load_batch(post_ids)
    if fields & _LIKED_FIELDS:
        jobs["liked"] = loaders.viewer_has_liked.load_batch(post_ids)
    if len(jobs) == 1:
        # A live event usually needs only the viewer's like: awaited in place, gather would
        # wrap it in a task of its own, for every subscriber of every event
        ((name, job),) = jobs.items()
        results = {name: await job}
    else:
        results = dict(zip(jobs, await asyncio.gather(*jobs.values()), strict=True))
    empty: list[Any] = [None] * len(records)
    return [
        HydratedPost(record, author=author, counts=counts, liked=liked)
        for record, author, counts, liked in zip(
            records,
            results.get("author", empty),
            results.get("counts", empty),
            results.get("liked", empty),
            strict=True,
        )
    ]
