from __future__ import annotations

from dataloaders.shielded import ShieldedLoader
from services.accounts.users import UserRecord, UserService


class UserByIdLoader(ShieldedLoader[int, UserRecord | None]):
    """Users in key order, None for an unknown id."""

    def __init__(self, users: UserService) -> None:
        super().__init__(load_fn=users.get_many)
