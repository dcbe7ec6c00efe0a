from __future__ import annotations

from typing import TYPE_CHECKING

from dataloaders.shielded import ShieldedLoader
from services.counters.service import USER, CounterService, Counts

if TYPE_CHECKING:
    from collections.abc import Sequence


class UserCountsByIdLoader(ShieldedLoader[int, Counts]):
    """Follower, following and post counts."""

    def __init__(self, counters: CounterService) -> None:
        async def load(user_ids: Sequence[int]) -> list[Counts]:
            return await counters.get_many(USER, user_ids)

        super().__init__(load_fn=load)
