"""Authors' follower counts as the ranking uses them, remembered by this process for a while.

The score divides a post's engagement by its author's audience, which moves slowly and matters
only to its order of magnitude; reading it for every author of every first page would cost a
Redis command per author. So counts read from CounterService are kept here for TTL_S, at most
MAX_AUTHORS of them, the least recently read going first.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import TYPE_CHECKING

from services.counters.service import USER

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from services.counters.service import CounterService

TTL_S = 300.0
MAX_AUTHORS = 100_000


class AuthorAudiences:
    def __init__(
        self,
        counters: CounterService,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_authors: int = MAX_AUTHORS,
    ) -> None:
        self._counters = counters
        self._clock = clock
        self._max_authors = max_authors
        self._known: OrderedDict[int, tuple[int, float]] = OrderedDict()

    async def followers(self, author_ids: Sequence[int]) -> dict[int, int]:
        now = self._clock()
        found: dict[int, int] = {}
        for author in author_ids:
            known = self._known.get(author)
            if known is not None and known[1] > now:
                found[author] = known[0]
                self._known.move_to_end(author)
        missing = [author for author in author_ids if author not in found]
        if missing:
            for author, counts in zip(missing, await self._counters.get_many(USER, missing), strict=True):
                found[author] = counts["followers"]
                self._known[author] = (found[author], now + TTL_S)
                self._known.move_to_end(author)
            while len(self._known) > self._max_authors:
                self._known.popitem(last=False)
        return found

    def forget(self) -> None:
        """Drop what this process remembers, after the stores were wiped or restored under it."""
        self._known.clear()
