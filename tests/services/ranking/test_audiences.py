"""Follower counts for the ranking: read from the counters, then remembered for a while, bounded."""

from __future__ import annotations

from typing import TYPE_CHECKING

from services.counters.service import USER
from services.ranking.audiences import TTL_S, AuthorAudiences

if TYPE_CHECKING:
    from services.container import Services


async def test_counts_are_remembered_for_a_while_and_bounded(services: Services) -> None:
    counters = services.counters
    now = [1000.0]
    audiences = AuthorAudiences(counters, clock=lambda: now[0], max_authors=2)
    for author, followers in ((1, 10), (2, 20), (3, 30)):
        await counters.initialize(USER, author)
        await counters.adjust(USER, author, "followers", followers)
    assert await audiences.followers([1, 2]) == {1: 10, 2: 20}
    await counters.adjust(USER, 1, "followers", 5)
    assert await audiences.followers([1]) == {1: 10}, "remembered, not read again"
    now[0] += TTL_S + 1
    assert await audiences.followers([1]) == {1: 15}, "read again once old"
    # At most two remembered: reading a third forgets the least recently read (2)
    assert await audiences.followers([3]) == {3: 30}
    await counters.adjust(USER, 2, "followers", 1)
    assert await audiences.followers([2]) == {2: 21}
    audiences.forget()
    await counters.adjust(USER, 3, "followers", 1)
    assert await audiences.followers([3]) == {3: 31}
