from __future__ import annotations

from typing import TYPE_CHECKING

from dataloaders.shielded import ShieldedLoader
from services.counters.service import POST, CounterService, Counts

if TYPE_CHECKING:
    from collections.abc import Sequence


class PostCountsByIdLoader(ShieldedLoader[int, Counts]):
    """Like and comment counts: one Redis pipeline per batch, MongoDB only for cold keys."""

    def __init__(self, counters: CounterService) -> None:
        async def load(post_ids: Sequence[int]) -> list[Counts]:
            return await counters.get_many(POST, post_ids)

        super().__init__(load_fn=load)
