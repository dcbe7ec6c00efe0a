"""The base of every loader: a caller that is cancelled does not cancel the others.

A DataLoader hands every caller of one key the same future. graphql-core cancels the sibling
fields of a non-null field that failed, and cancelling a task cancels the future it awaits:
with a shared future, that cancelled the other fields waiting for the same key, and the
CancelledError escaped the request (an HTTP 500). Each caller now awaits a shield of the
shared future, so a cancellation stops only the caller.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, TypeVar

from strawberry.dataloader import DataLoader

if TYPE_CHECKING:
    from collections.abc import Awaitable

KeyT = TypeVar("KeyT")
ValueT = TypeVar("ValueT")


class ShieldedLoader(DataLoader[KeyT, ValueT]):
    def load(self, key: KeyT) -> Awaitable[ValueT]:
        return asyncio.shield(super().load(key))
