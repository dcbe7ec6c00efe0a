"""Who may see whose content and reach whom: the one place every read and write path asks.

A viewer sees an author's content (posts, followers, following) unless either blocked the
other, and, when the author's account is private, only if the viewer is the author or follows
them (an approved follower: a follow edge exists only once a request was approved). A viewer
may interact with an author (like, comment, mention) exactly when they may see their content.
The home timeline and live events also drop authors the viewer muted.

The batched form costs one Redis turn for a page whatever its size: one SMISMEMBER per set
(the viewer's blocks, who blocked the viewer, the viewer's mutes) beside the authors' cached
records, so many mutes cost a longer reply, not more reads; and one follow query when the page
holds private authors.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Awaitable, Mapping, Sequence

    from services.accounts.users import UserRecord, UserService
    from services.privacy.relations import RelationStore
    from services.social.follows import FollowService


@dataclass(frozen=True, slots=True)
class LiveAudience:
    """Of the viewers a live post was offered to: those `decided`, which of them see it, and
    which are in no block either way (known as such from their cached sets)."""

    decided: frozenset[int]
    seeing: frozenset[int]
    block_free: frozenset[int]


class VisibilityPolicy:
    def __init__(
        self, *, users: UserService, follows: FollowService, blocks: RelationStore, mutes: RelationStore
    ) -> None:
        self._users = users
        self._follows = follows
        self._blocks = blocks
        self._mutes = mutes

    async def visible_authors(
        self,
        viewer_id: int | None,
        author_ids: Sequence[int],
        *,
        home: bool = False,
        known: Mapping[int, UserRecord] | None = None,
    ) -> set[int]:
        """The authors among `author_ids` whose content the viewer may see (and, for the home
        timeline and live events, has not muted). The viewer is always among them. `known`
        holds author records the caller already has (their private flags need no read)."""
        others = [a for a in dict.fromkeys(author_ids) if a != viewer_id]
        own = {viewer_id} & set(author_ids) if viewer_id is not None else set()
        if not others:
            return own
        known = known or {}
        unknown = [a for a in others if a not in known]
        # One flat gather, so every read is queued in the same turn (one Redis round trip)
        reads: list[Awaitable[Any]] = [self._users.get_many(unknown)]
        if viewer_id is not None:
            reads += self._cut_off_reads(viewer_id, others, muted=home)
        loaded, *cut_sets = await asyncio.gather(*reads)
        records = [*(known[a] for a in others if a in known), *loaded]
        cut: set[int] = set().union(*cut_sets)
        open_to = set(others) - cut  # an author without a record has no private flag to honour
        private = [r.id for r in records if r is not None and r.is_private and r.id in open_to]
        if private:
            followed = (
                await self._follows.follows_which(viewer_id, private) if viewer_id is not None else set()
            )
            open_to -= set(private) - followed
        return open_to | own

    async def live_audience(self, author_id: int, viewer_ids: Sequence[int]) -> LiveAudience:
        """What `visible_authors(viewer, [author], home=True)` answers for each of many viewers of
        one live post, in one Redis turn whatever their number: the author's blocks, and who
        blocked or muted the author, are the author's own sets. Also which viewers are in no
        block either way, so that their lists filtered by blocks are everyone's. The viewers of
        a private author (or one without a record) are left undecided, to be asked one by one."""
        own = frozenset({author_id} & set(viewer_ids))
        viewers = [v for v in dict.fromkeys(viewer_ids) if v != author_id]
        if self._blocks.incoming is None or self._mutes.incoming is None:
            return LiveAudience(own, own, frozenset())
        (author,), blocked, blocking, muting, unblocking, unblocked = await asyncio.gather(
            self._users.get_many([author_id]),
            self._blocks.which(self._blocks.outgoing, author_id, viewers),
            self._blocks.which(self._blocks.incoming, author_id, viewers),
            self._mutes.which(self._mutes.incoming, author_id, viewers),
            self._blocks.owners_with_none(self._blocks.outgoing, viewers),
            self._blocks.owners_with_none(self._blocks.incoming, viewers),
        )
        if author is None or author.is_private:
            return LiveAudience(own, own, frozenset())
        seeing = (set(viewers) - blocked - blocking - muting) | own
        return LiveAudience(frozenset(viewers) | own, frozenset(seeing), frozenset(unblocking & unblocked))

    async def cache_blocks_of(self, user_id: int) -> None:
        """Have the user's block sets (either way) cached, so that `live_audience` can tell
        whether the user is in any block (a set not cached counts as maybe)."""
        reads = [self._blocks.which(self._blocks.outgoing, user_id, [user_id])]
        if self._blocks.incoming is not None:
            reads.append(self._blocks.which(self._blocks.incoming, user_id, [user_id]))
        await asyncio.gather(*reads)

    async def can_see_user(self, viewer_id: int | None, author: UserRecord) -> bool:
        """`can_see` for an author whose record the caller holds."""
        return author.id in await self.visible_authors(viewer_id, [author.id], known={author.id: author})

    async def can_see(self, viewer_id: int | None, author_id: int) -> bool:
        return author_id in await self.visible_authors(viewer_id, [author_id])

    async def can_interact(self, viewer_id: int, author_id: int) -> bool:
        """Whether the viewer may like, comment on or mention the author's content."""
        return await self.can_see(viewer_id, author_id)

    async def unblocked(self, viewer_id: int | None, user_ids: Sequence[int]) -> set[int]:
        """The users among `user_ids` that neither blocked the viewer nor were blocked by them
        (what people lists, likers and comments show the viewer)."""
        if viewer_id is None:
            return set(user_ids)
        return set(user_ids) - await self._cut_off(viewer_id, user_ids, muted=False)

    async def hides_profile(self, viewer_id: int | None, user_id: int) -> bool:
        """Whether the user blocked the viewer, and so is not to be found by them at all."""
        if viewer_id is None or viewer_id == user_id or self._blocks.incoming is None:
            return False
        return bool(await self._blocks.which(self._blocks.incoming, viewer_id, [user_id]))

    async def blocking_viewer(self, viewer_id: int | None, user_ids: Sequence[int]) -> set[int]:
        """The users among `user_ids` who blocked the viewer (and so are not to be found by them)."""
        if viewer_id is None or self._blocks.incoming is None:
            return set()
        return await self._blocks.which(self._blocks.incoming, viewer_id, user_ids)

    async def blocked_either_way(self, viewer_id: int, user_id: int) -> bool:
        return user_id not in await self.unblocked(viewer_id, [user_id])

    async def viewer_blocked(self, viewer_id: int, user_ids: Sequence[int]) -> set[int]:
        return await self._blocks.which(self._blocks.outgoing, viewer_id, user_ids)

    async def viewer_muted(self, viewer_id: int, user_ids: Sequence[int]) -> set[int]:
        return await self._mutes.which(self._mutes.outgoing, viewer_id, user_ids)

    async def _cut_off(self, viewer_id: int, user_ids: Sequence[int], *, muted: bool) -> set[int]:
        """Users blocked by the viewer, who blocked the viewer, and (if asked) muted by them."""
        return set().union(*await asyncio.gather(*self._cut_off_reads(viewer_id, user_ids, muted=muted)))

    def _cut_off_reads(
        self, viewer_id: int, user_ids: Sequence[int], *, muted: bool
    ) -> list[Awaitable[set[int]]]:
        """One SMISMEMBER per set, to be gathered with the caller's other reads."""
        others = [u for u in user_ids if u != viewer_id]
        if not others:
            return []
        reads: list[Awaitable[set[int]]] = [self._blocks.which(self._blocks.outgoing, viewer_id, others)]
        if self._blocks.incoming is not None:
            reads.append(self._blocks.which(self._blocks.incoming, viewer_id, others))
        if muted:
            reads.append(self._mutes.which(self._mutes.outgoing, viewer_id, others))
        return reads
