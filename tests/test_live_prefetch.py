"""The hub's prefetcher keeps the posts it loaded for a second, and no longer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from services.live import channels

if TYPE_CHECKING:
    import pytest


def test_loaded_posts_are_kept_for_their_second_only(monkeypatch: pytest.MonkeyPatch) -> None:
    recent = channels._RecentRecords()
    recent.put(1, "post one")
    assert recent.get(1) == (True, "post one")
    assert recent.get(2) == (False, None)
    # Every post expires at once: however many are loaded, the expired ones are swept
    monkeypatch.setattr(channels, "_PREFETCH_TTL_S", -1.0)
    for post_id in range(10, 5_010):
        recent.put(post_id, f"post {post_id}")
    assert len(recent) <= 2 * channels._PREFETCH_SWEEP_MIN
    assert recent.get(5_009) == (False, None)
