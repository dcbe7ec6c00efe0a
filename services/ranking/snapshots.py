"""Rankings kept for paging, and the posts a viewer was already shown in ranked sessions.

Keys (each viewer's share the hash tag `{uid}`, so each script stays on one slot):

- `ranked:{uid}:<slot>`  list: the snapshot id, its meta, then one entry per ranked post, best
                         first. A viewer has SLOTS of them, reused in turn, so the newest SLOTS
                         rankings can be paged at once (two tabs) and memory stays bounded. Each
                         expires `snapshot_ttl_s` after its last read.
- `rankseq:{uid}`        counter that picks the next slot.
- `rankshown:{uid}`      sorted set of posts shown on ranked pages (score: when), at most
                         `max_candidates`, expiring with the ranking window.

An entry keeps the signal values the post was scored with (not the score), so that every page
explains the ranking it shows with the formula of scoring.py and the numbers of its time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from services.ranking.signals import AuthorAffinity, PostVelocity

if TYPE_CHECKING:
    from collections.abc import Sequence

    import redis.asyncio as aioredis

    from services.ranking.config import RankingConfig
    from services.ranking.positions import SnapshotPosition

SLOTS = 3

# KEYS = (seq, shown, slot 0 .. slot SLOTS-1); ARGV = ttl, snapshot id, meta, shown at,
# shown cap, shown ttl, entries joined by newlines, then the shown ids. Returns the slot used.
# The entries travel as one argument: encoding hundreds of arguments costs the client more
# than splitting one string costs Redis.
_SAVE = """
local slots = #KEYS - 2
local slot = redis.call('INCR', KEYS[1]) % slots
redis.call('EXPIRE', KEYS[1], ARGV[1])
local key = KEYS[3 + slot]
redis.call('DEL', key)
redis.call('RPUSH', key, ARGV[2], ARGV[3])
local batch = {}
for entry in string.gmatch(ARGV[7], '[^\\n]+') do
  batch[#batch + 1] = entry
  -- In batches: unpack() is limited by Lua's stack
  if #batch == 500 then redis.call('RPUSH', key, unpack(batch)) batch = {} end
end
if #batch > 0 then redis.call('RPUSH', key, unpack(batch)) end
redis.call('EXPIRE', key, ARGV[1])
for i = 8, #ARGV do redis.call('ZADD', KEYS[2], ARGV[4], ARGV[i]) end
if #ARGV > 7 then
  local extra = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[5])
  if extra > 0 then redis.call('ZREMRANGEBYRANK', KEYS[2], 0, extra - 1) end
  redis.call('EXPIRE', KEYS[2], ARGV[6])
end
return slot
"""
# KEYS = (slot, shown); ARGV = snapshot id, start, count, ttl, shown at, how many of the
# entries read to mark shown, shown cap, shown ttl. Returns {meta, entries}, or nil when the
# slot no longer holds this snapshot (expired, or reused by a newer ranking).
_READ = """
if redis.call('LINDEX', KEYS[1], 0) ~= ARGV[1] then return nil end
redis.call('EXPIRE', KEYS[1], ARGV[4])
local meta = redis.call('LINDEX', KEYS[1], 1)
local first = 2 + tonumber(ARGV[2])
local entries = redis.call('LRANGE', KEYS[1], first, first + tonumber(ARGV[3]) - 1)
local marked = math.min(tonumber(ARGV[6]), #entries)
for i = 1, marked do redis.call('ZADD', KEYS[2], ARGV[5], string.match(entries[i], '^%d+')) end
if marked > 0 then
  local extra = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[7])
  if extra > 0 then redis.call('ZREMRANGEBYRANK', KEYS[2], 0, extra - 1) end
  redis.call('EXPIRE', KEYS[2], ARGV[8])
end
return {meta, entries}
"""


def snapshot_key(user_id: int, slot: int) -> str:
    return f"ranked:{{{user_id}}}:{slot}"


def snapshot_seq_key(user_id: int) -> str:
    return f"rankseq:{{{user_id}}}"


def shown_key(user_id: int) -> str:
    return f"rankshown:{{{user_id}}}"


@dataclass(frozen=True, slots=True)
class SnapshotMeta:
    """When the ranking was made, how many posts it holds, and where the feed continues below
    them (`boundary`: the oldest ranked post; `more`: whether older posts exist)."""

    created_s: float
    size: int
    boundary: int | None
    more: bool

    def encode(self) -> str:
        return f"{self.created_s:.3f},{self.size},{self.boundary or 0},{int(self.more)}"

    @classmethod
    def decode(cls, raw: str) -> SnapshotMeta:
        created, size, boundary, more = raw.split(",")
        return cls(float(created), int(size), int(boundary) or None, more == "1")


def _cell(value: float) -> str:
    # Four significant digits, and nothing for a zero: most viewers have no signal for most posts
    return f"{value:.4g}" if value else ""


class SnapshotEntry(NamedTuple):
    """One ranked post and the signals it was scored with."""

    post_id: int
    affinity: AuthorAffinity
    velocity: PostVelocity
    author_followers: int
    shown_before: bool

    def encode(self) -> str:
        (likes, comments, visits), (recent_likes, recent_comments) = self.affinity, self.velocity
        return (
            f"{self.post_id},{_cell(likes)},{_cell(comments)},{_cell(visits)},{_cell(recent_likes)},"
            f"{_cell(recent_comments)},{self.author_followers},{int(self.shown_before)}"
        )

    @classmethod
    def decode(cls, raw: str) -> SnapshotEntry:
        post_id, likes, comments, visits, recent_likes, recent_comments, followers, shown = raw.split(",")
        return cls(
            post_id=int(post_id),
            affinity=AuthorAffinity(*(float(cell or 0) for cell in (likes, comments, visits))),
            velocity=PostVelocity(*(float(cell or 0) for cell in (recent_likes, recent_comments))),
            author_followers=int(followers),
            shown_before=shown == "1",
        )


class SnapshotStore:
    def __init__(self, redis: aioredis.Redis, config: RankingConfig) -> None:
        self._redis = redis
        self._ttl_s = config.snapshot_ttl_s
        self._shown_cap = config.max_candidates
        self._shown_ttl_s = int(config.window_s)
        self._save = redis.register_script(_SAVE)
        self._read = redis.register_script(_READ)

    async def save(
        self,
        viewer_id: int,
        snapshot_id: int,
        meta: SnapshotMeta,
        entries: Sequence[SnapshotEntry],
        shown_now: Sequence[int],
    ) -> int:
        """Keep a ranking (best first) and mark the posts of its first page shown; returns its slot."""
        keys = [snapshot_seq_key(viewer_id), shown_key(viewer_id)]
        keys += [snapshot_key(viewer_id, slot) for slot in range(SLOTS)]
        args: list[str | int | float] = [
            self._ttl_s,
            snapshot_id,
            meta.encode(),
            meta.created_s,
            self._shown_cap,
            self._shown_ttl_s,
            "\n".join(entry.encode() for entry in entries),
            *shown_now,
        ]
        slot: int = await self._save(keys=keys, args=args)
        return slot

    async def read(
        self, viewer_id: int, position: SnapshotPosition, count: int, mark_shown: int, now_s: float
    ) -> tuple[SnapshotMeta, list[SnapshotEntry]] | None:
        """Up to `count` entries after `position`, marking the first `mark_shown` of them shown,
        and refreshing the snapshot's expiry; None when the snapshot is gone."""
        found = await self._read(
            keys=[snapshot_key(viewer_id, position.slot), shown_key(viewer_id)],
            args=[
                position.snapshot_id,
                position.index + 1,
                count,
                self._ttl_s,
                now_s,
                mark_shown,
                self._shown_cap,
                self._shown_ttl_s,
            ],
        )
        if found is None:
            return None
        meta, entries = found
        return SnapshotMeta.decode(meta), [SnapshotEntry.decode(raw) for raw in entries]

    async def shown_before(self, viewer_id: int) -> set[int]:
        """Every post the viewer was shown on a ranked page lately: at most `max_candidates`, so
        the whole set costs less to read than asking about each candidate."""
        members = await self._redis.zrange(shown_key(viewer_id), 0, -1)
        return {int(member) for member in members}
