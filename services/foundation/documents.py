"""Small idioms of idempotent MongoDB writes, shared by the services that own collections."""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING, Any

from pymongo.errors import DuplicateKeyError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from pymongo.asynchronous.collection import AsyncCollection

DUPLICATE_KEY = 11000


async def insert_new(collection: AsyncCollection[dict[str, Any]], document: dict[str, Any]) -> bool:
    """Insert a document whose _id names the fact it records; False when it is already there
    (a second follow, a retried job), told apart by the error code, never its message."""
    try:
        await collection.insert_one(document)
    except DuplicateKeyError as exc:
        if exc.code == DUPLICATE_KEY:
            return False
        raise
    return True


def newest_unique(sources: Iterable[list[int]], limit: int) -> list[int]:
    """The `limit` greatest ids over sources that are each sorted newest first, once each."""
    merged: list[int] = []
    for item in heapq.merge(*sources, reverse=True):
        if not merged or merged[-1] != item:
            merged.append(item)
        if len(merged) == limit:
            break
    return merged
