"""Where a ranked page ends, which its cursor encodes (resolvers/cursors.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SnapshotPosition:
    """The `index`-th post of a ranking kept as snapshot `snapshot_id` in the viewer's `slot`."""

    snapshot_id: int
    slot: int
    index: int


@dataclass(frozen=True, slots=True)
class TailPosition:
    """Past the ranked posts, the feed continues newest first: this post was the last shown."""

    post_id: int


RankedPosition = SnapshotPosition | TailPosition
