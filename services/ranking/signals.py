"""What ranking learns from engagement, kept incrementally in Redis as decayed sums (decay.py).

Keys:

- `affinity:{uid}:<kind>`  sorted set, per viewer and kind of engagement (likes, comments,
                           profile visits): member = author id, score = the log-space decayed
                           count of the viewer's engagements with that author. At most
                           AFFINITY_CAP authors per kind: the weakest are trimmed.
- `velocity:{pid}`         string "<likes>,<comments>": the log-space decayed counts of the
                           post's engagement (a string, so that a ranking reads every candidate's
                           in one MGET). Kept only while the post is young
                           enough to be ranked; it expires when the post leaves the window.
- `visitgate:{uid}:<aid>`  the time of the last counted visit, kept VISIT_GATE_S: a visit within
                           VISIT_GATE_S of it does not count, so that a client reading a profile
                           in a loop counts as one visit.

Every write is one script per key, sent in one pipeline: it runs inline in the event's handler,
since a job would cost more (an enqueue, then a worker's round trips) than the update itself.
"""

from __future__ import annotations

import asyncio
import time
from enum import Enum
from typing import TYPE_CHECKING, NamedTuple

from services.foundation.cluster_safe import ScriptBatch, mget
from services.foundation.ids import id_time
from services.ranking.config import HOUR_S
from services.ranking.decay import LUA_COMBINE, current_value, log_term

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    import redis.asyncio as aioredis

    from services.ranking.config import RankingConfig

AFFINITY_CAP = 128
VISIT_GATE_S = 600
# A viewer's affinity fades to 1/256 of its value in 8 half-lives; a key untouched that long goes
_AFFINITY_TTL_HALF_LIVES = 8
_VELOCITY_GRACE_S = 3600

# KEYS = (sorted set[, visit gate]); ARGV = member, log term, sign, cap, ttl[, gate seconds, at]
_ADD_AFFINITY = (
    LUA_COMBINE
    + """
if KEYS[2] then
  local last = redis.call('GET', KEYS[2])
  if last and math.abs(tonumber(ARGV[7]) - tonumber(last)) < tonumber(ARGV[6]) then return 0 end
  redis.call('SET', KEYS[2], ARGV[7], 'EX', ARGV[6])
end
local old = redis.call('ZSCORE', KEYS[1], ARGV[1])
local new = combine(old and tonumber(old), tonumber(ARGV[2]), tonumber(ARGV[3]))
if new == nil then redis.call('ZREM', KEYS[1], ARGV[1]) return 0 end
redis.call('ZADD', KEYS[1], string.format('%.17g', new), ARGV[1])
local extra = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[4])
if extra > 0 then redis.call('ZREMRANGEBYRANK', KEYS[1], 0, extra - 1) end
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1
"""
)
# KEYS = (velocity); ARGV = which count (1 likes, 2 comments), log term, sign, ttl
_ADD_VELOCITY = (
    LUA_COMBINE
    + """
local counts = {}
local raw = redis.call('GET', KEYS[1])
if raw then
  local comma = string.find(raw, ',', 1, true)
  counts[1] = tonumber(string.sub(raw, 1, comma - 1))
  counts[2] = tonumber(string.sub(raw, comma + 1))
end
local which = tonumber(ARGV[1])
counts[which] = combine(counts[which], tonumber(ARGV[2]), tonumber(ARGV[3]))
if counts[1] == nil and counts[2] == nil then redis.call('DEL', KEYS[1]) return 0 end
local function cell(value) if value == nil then return '' end return string.format('%.17g', value) end
redis.call('SET', KEYS[1], cell(counts[1]) .. ',' .. cell(counts[2]), 'EX', ARGV[4])
return 1
"""
)
_VELOCITY_COUNT = {"likes": 1, "comments": 2}


class Engagement(Enum):
    """A kind of engagement, named as its affinity key and velocity field spell it."""

    LIKES = "likes"
    COMMENTS = "comments"
    VISITS = "visits"


def affinity_key(user_id: int, kind: Engagement) -> str:
    return f"affinity:{{{user_id}}}:{kind.value}"


def velocity_key(post_id: int) -> str:
    return f"velocity:{{{post_id}}}"


def visit_gate_key(user_id: int, author_id: int) -> str:
    return f"visitgate:{{{user_id}}}:{author_id}"


class AuthorAffinity(NamedTuple):
    """The viewer's decayed counts of engagement with one author."""

    likes: float = 0.0
    comments: float = 0.0
    visits: float = 0.0


class PostVelocity(NamedTuple):
    """A post's decayed counts of recent engagement."""

    likes: float = 0.0
    comments: float = 0.0


class EngagementSignals:
    def __init__(
        self, redis: aioredis.Redis, config: RankingConfig, clock: Callable[[], float] = time.time
    ) -> None:
        self._redis = redis
        self._config = config
        self._clock = clock
        self._affinity_half_life_s = config.half_lives_h.affinity * HOUR_S
        self._velocity_half_life_s = config.half_lives_h.velocity * HOUR_S
        self._affinity_ttl_s = int(self._affinity_half_life_s * _AFFINITY_TTL_HALF_LIVES)
        self._add_affinity = redis.register_script(_ADD_AFFINITY)
        self._add_velocity = redis.register_script(_ADD_VELOCITY)

    async def on_like(self, user_id: int, post_id: int, author_id: int, at_s: float | None = None) -> None:
        await self._record(user_id, post_id, author_id, Engagement.LIKES, 1, at_s=at_s)

    async def on_unlike(self, user_id: int, post_id: int, author_id: int) -> None:
        # The like's own time is not known: take away one like as of now, which is exact for the
        # usual quick undo and never takes more than the viewer's whole count for the author
        await self._record(user_id, post_id, author_id, Engagement.LIKES, -1, at_s=None)

    async def on_comment(self, user_id: int, post_id: int, author_id: int, at_s: float | None = None) -> None:
        await self._record(user_id, post_id, author_id, Engagement.COMMENTS, 1, at_s=at_s)

    async def on_comment_deleted(
        self, user_id: int, comment_id: int, post_id: int, author_id: int | None
    ) -> None:
        # A comment id says when it was written, so its contribution is taken away exactly
        if author_id is not None:
            at_s = id_time(comment_id).timestamp()
            await self._record(user_id, post_id, author_id, Engagement.COMMENTS, -1, at_s=at_s)

    async def on_profile_view(self, viewer_id: int, profile_id: int, at_s: float | None = None) -> None:
        if viewer_id == profile_id:
            return
        at = self._clock() if at_s is None else at_s
        term = log_term(1.0, at, self._affinity_half_life_s)
        await self._add_affinity(
            keys=[affinity_key(viewer_id, Engagement.VISITS), visit_gate_key(viewer_id, profile_id)],
            args=[profile_id, term, 1, AFFINITY_CAP, self._affinity_ttl_s, VISIT_GATE_S, at],
        )

    async def _record(
        self, user_id: int, post_id: int, author_id: int, kind: Engagement, sign: int, *, at_s: float | None
    ) -> None:
        at = self._clock() if at_s is None else at_s
        batch = ScriptBatch(self._redis)
        if user_id != author_id:  # engaging with one's own posts says nothing about taste
            term = log_term(1.0, at, self._affinity_half_life_s)
            await batch.script(
                self._add_affinity,
                [affinity_key(user_id, kind)],
                [author_id, term, sign, AFFINITY_CAP, self._affinity_ttl_s],
            )
        # Velocity is kept only while the post can be ranked, and expires when it no longer can
        remaining_s = self._config.window_s - (at - id_time(post_id).timestamp())
        if remaining_s > 0:
            term = log_term(1.0, at, self._velocity_half_life_s)
            ttl = int(remaining_s) + _VELOCITY_GRACE_S
            which = _VELOCITY_COUNT[kind.value]
            await batch.script(self._add_velocity, [velocity_key(post_id)], [which, term, sign, ttl])
        if len(batch.pipe):
            await batch.execute()

    async def read(
        self, viewer_id: int, author_ids: Sequence[int], post_ids: Sequence[int], now_s: float
    ) -> tuple[dict[int, AuthorAffinity], dict[int, PostVelocity]]:
        """The viewer's affinity for each author and each post's velocity, as of `now_s`: one
        pipeline and one MGET, sent together."""
        kinds = list(Engagement)
        authors = [str(author) for author in author_ids]

        async def affinity_rows() -> list[list[float | None]]:
            if not authors:
                return []
            async with self._redis.pipeline(transaction=False) as pipe:
                for kind in kinds:
                    pipe.zmscore(affinity_key(viewer_id, kind), authors)
                rows: list[list[float | None]] = await pipe.execute()
                return rows

        async def velocity_rows() -> list[str | None]:
            return (
                await mget(self._redis, [velocity_key(post_id) for post_id in post_ids]) if post_ids else []
            )

        by_kind, velocities_raw = await asyncio.gather(affinity_rows(), velocity_rows())

        def decayed(raw: float | str | None, half_life_s: float) -> float:
            return current_value(None if raw is None or raw == "" else float(raw), now_s, half_life_s)

        # Most candidates have no signal at all: those skip the arithmetic
        no_affinity, no_velocity = AuthorAffinity(), PostVelocity()
        affinities: dict[int, AuthorAffinity] = {}
        for index, author in enumerate(author_ids):
            row = [by_kind[k][index] for k in range(len(kinds))]
            affinities[author] = (
                AuthorAffinity(*(decayed(raw, self._affinity_half_life_s) for raw in row))
                if any(raw is not None for raw in row)
                else no_affinity
            )
        velocities: dict[int, PostVelocity] = {}
        for post_id, raw in zip(post_ids, velocities_raw, strict=True):
            if not raw:
                velocities[post_id] = no_velocity
                continue
            likes, comments = raw.split(",")
            velocities[post_id] = PostVelocity(
                decayed(likes, self._velocity_half_life_s), decayed(comments, self._velocity_half_life_s)
            )
        return affinities, velocities
