"""Who to follow: people followed by the people you follow, then popular accounts.

Friends of friends are counted over the most recent follows of the viewer's most recent
followees, so the work is bounded whatever the graph (two queries and a few batched reads);
a viewer who follows nobody yet gets the most followed accounts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from services.counters.service import USER

if TYPE_CHECKING:
    from services.accounts.users import UserRecord, UserService
    from services.counters.service import CounterService
    from services.discovery.people_index import PeopleIndex
    from services.social.follows import FollowService

# How far friends of friends are looked for: the viewer's newest followees, and their newest follows
FOLLOWEES_READ = 50
FOLLOWS_READ = 2000
MUTUALS_SHOWN = 3


@dataclass(frozen=True, slots=True)
class Suggestion:
    user: UserRecord
    # Accounts the viewer follows that follow this one, most recently followed by the viewer first
    followed_by: list[UserRecord]
    mutual_count: int

    @property
    def reason(self) -> str:
        if not self.followed_by:
            return "Popular on Aperture"
        name = self.followed_by[0].username
        others = self.mutual_count - 1
        if others == 0:
            return f"Followed by {name}"
        return f"Followed by {name} and {others} other{'s' if others > 1 else ''}"


class SuggestionService:
    def __init__(
        self, *, users: UserService, follows: FollowService, counters: CounterService, index: PeopleIndex
    ) -> None:
        self._users = users
        self._follows = follows
        self._counters = counters
        self._index = index

    async def suggest(self, viewer_id: int, first: int) -> list[Suggestion]:
        followees = await self._follows.followee_ids(viewer_id, FOLLOWEES_READ)
        recency = {followee: position for position, followee in enumerate(followees)}
        mutuals: dict[int, list[int]] = {}
        for edge in await self._follows.recent_edges_of(followees, FOLLOWS_READ):
            mutuals.setdefault(edge.followee_id, []).append(edge.follower_id)
        candidates = [uid for uid in mutuals if uid != viewer_id and uid not in recency]
        already = await self._follows.follows_which(viewer_id, candidates)
        candidates = [uid for uid in candidates if uid not in already]
        counts = await self._counters.get_many(USER, candidates)
        followers = {uid: count["followers"] for uid, count in zip(candidates, counts, strict=True)}
        ranked = sorted(candidates, key=lambda uid: (len(mutuals[uid]), followers[uid], uid), reverse=True)
        chosen = ranked[:first]
        if len(chosen) < first:
            chosen += await self._popular(viewer_id, set(chosen) | set(recency), first - len(chosen))
        shown = {uid: sorted(mutuals.get(uid, []), key=recency.__getitem__)[:MUTUALS_SHOWN] for uid in chosen}
        records = await self._users.get_many(list({*chosen, *(u for ids in shown.values() for u in ids)}))
        by_id = {record.id: record for record in records if record is not None}
        return [
            Suggestion(
                user=by_id[uid],
                followed_by=[by_id[m] for m in shown[uid] if m in by_id],
                mutual_count=len(mutuals.get(uid, [])),
            )
            for uid in chosen
            if uid in by_id
        ]

    async def _popular(self, viewer_id: int, excluded: set[int], count: int) -> list[int]:
        # Read past the ones to skip; the few the viewer already follows are checked in one query
        popular = [uid for uid, _ in await self._index.popular(count + len(excluded) + 20)]
        fresh = [uid for uid in popular if uid != viewer_id and uid not in excluded]
        already = await self._follows.follows_which(viewer_id, fresh)
        return [uid for uid in fresh if uid not in already][:count]
