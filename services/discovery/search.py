"""Finding people by name: prefix search on usernames and display names, ranked.

Ranking: an exact username first, then by follower count, then newest account. Queries of up
to SHORT_PREFIX characters read one capped per-prefix set that is already ranked; longer ones
read the few names that start with them in term order, each stored with its follower count.
Both are index reads whose cost does not grow with the number of users (bench/discovery.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from services.accounts.users import USERNAME_PATTERN
from services.counters.service import USER
from services.discovery.job_names import DiscoveryJob
from services.discovery.normalize import SHORT_PREFIX, search_query
from services.discovery.people_index import Person
from services.foundation.pagination import Page

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from services.accounts.users import UserRecord, UserService
    from services.counters.service import CounterService
    from services.discovery.people_index import PeopleIndex
    from services.foundation.job_queue import JobQueue

# Names read for a long query. More matches than this means the query is still short for the
# network; the page then ranks the first matches in name order (docs/social.md)
LONG_QUERY_CANDIDATES = 500
# Ids read per query (few large pages: the stand-in scans for an id range), indexed per batch
_REBUILD_PAGE = 10_000
_REBUILD_BATCH = 500

# (exact username match, followers, user id): higher ranks first, and it is the keyset cursor
RankKey = tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class PersonFound:
    user: UserRecord
    rank: RankKey


class UserSearch:
    def __init__(
        self, *, users: UserService, counters: CounterService, index: PeopleIndex, queue: JobQueue
    ) -> None:
        self._users = users
        self._counters = counters
        self._index = index
        self._queue = queue

    async def search(self, query: str, after: RankKey | None, first: int) -> Page[PersonFound]:
        folded = search_query(query)
        if len(folded) <= SHORT_PREFIX:
            ranked, built = await self._index.best_with_prefix(folded)
        else:
            ranked, built = await self._index.starting_with(folded, LONG_QUERY_CANDIDATES)
        if not built:
            await self._queue.enqueue(
                DiscoveryJob.REBUILD_PEOPLE_INDEX, job_id=DiscoveryJob.REBUILD_PEOPLE_INDEX.value
            )
        keys = {user_id: (0, followers, user_id) for user_id, followers in ranked}
        exact = await self._users.get_by_username(folded) if USERNAME_PATTERN.fullmatch(folded) else None
        if exact is not None:
            keys[exact.id] = (1, 0, exact.id)
        ordered = sorted(keys.values(), reverse=True)
        if after is not None:
            ordered = [key for key in ordered if key < after]
        page = ordered[: first + 1]
        records = await self._users.get_many([key[2] for key in page])
        found = [
            PersonFound(record, key) for key, record in zip(page, records, strict=True) if record is not None
        ]
        return Page.from_overfetch(found, first)

    async def rebuild(self) -> int:
        """Index every account (after the index was lost, or first deployed); returns how many."""
        indexed = 0
        after: int | None = None
        while user_ids := await self._users.page_ids(after, _REBUILD_PAGE):
            for start in range(0, len(user_ids), _REBUILD_BATCH):
                indexed += await self._index_users(user_ids[start : start + _REBUILD_BATCH])
            after = user_ids[-1]
        await self._index.mark_built()
        return indexed

    async def on_follower_counts(self, followers: Mapping[int, int]) -> None:
        await self._index.update_followers(followers)

    async def index_user(self, user_id: int) -> None:
        await self._index_users([user_id])

    async def _index_users(self, user_ids: Sequence[int]) -> int:
        records = await self._users.get_many(user_ids)
        counts = await self._counters.get_many(USER, user_ids)
        people = [
            Person(record.id, record.username, record.display_name, count["followers"])
            for record, count in zip(records, counts, strict=True)
            if record is not None
        ]
        await self._index.index(people)
        return len(people)
