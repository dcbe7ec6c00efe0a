"""Snapshot entries and meta survive their compact stored form."""

from __future__ import annotations

import pytest

from services.ranking.signals import AuthorAffinity, PostVelocity
from services.ranking.snapshots import SnapshotEntry, SnapshotMeta


def test_entries_round_trip_with_four_significant_digits() -> None:
    entry = SnapshotEntry(
        post_id=123456789012345,
        affinity=AuthorAffinity(likes=2.718281828, comments=0, visits=0.000123456),
        velocity=PostVelocity(likes=1234.5678, comments=0),
        author_followers=4321,
        shown_before=True,
    )
    raw = entry.encode()
    assert raw == "123456789012345,2.718,,0.0001235,1235,,4321,1"
    decoded = SnapshotEntry.decode(raw)
    assert decoded.post_id == entry.post_id
    assert decoded.shown_before is True
    assert decoded.affinity.likes == pytest.approx(2.718)
    assert decoded.affinity.comments == 0
    assert decoded.velocity.likes == pytest.approx(1235)
    assert decoded.author_followers == 4321


@pytest.mark.parametrize("boundary", [None, 987654321])
def test_meta_round_trips(boundary: int | None) -> None:
    meta = SnapshotMeta(created_s=1790000000.123, size=300, boundary=boundary, more=boundary is not None)
    assert SnapshotMeta.decode(meta.encode()) == meta
