"""Requests to follow a private account. Owns the `follow_requests` collection.

One document per (requester, target), its _id "requester:target", so asking twice is a
duplicate key. The target pages them newest first; approving one deletes it and creates the
follow edge through the social graph, so everything a follow sets off (backfill, counts,
notifications) follows an approval exactly as it follows a follow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pymongo import ASCENDING, DESCENDING

from services.foundation.clock import utc_now
from services.foundation.documents import insert_new
from services.foundation.pagination import Page

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pymongo.asynchronous.database import AsyncDatabase

    from services.foundation.ids import IdGenerator


def request_id(requester_id: int, target_id: int) -> str:
    return f"{requester_id}:{target_id}"


@dataclass(frozen=True, slots=True)
class FollowRequest:
    seq: int
    requester_id: int
    target_id: int
    created_at: datetime


class FollowRequests:
    def __init__(self, db: AsyncDatabase[dict[str, Any]], ids: IdGenerator) -> None:
        self._requests = db["follow_requests"]
        self._ids = ids

    async def ensure_indexes(self) -> None:
        await self._requests.create_index([("target_id", ASCENDING), ("seq", DESCENDING)], name="by_target")
        await self._requests.create_index(
            [("requester_id", ASCENDING), ("seq", DESCENDING)], name="by_requester"
        )

    async def create(self, requester_id: int, target_id: int) -> bool:
        """False when the request was already pending."""
        return await insert_new(
            self._requests,
            {
                "_id": request_id(requester_id, target_id),
                "seq": self._ids.next_id(),
                "requester_id": requester_id,
                "target_id": target_id,
                "created_at": utc_now(),
            },
        )

    async def delete(self, requester_id: int, target_id: int) -> bool:
        """False when there was no such request."""
        result = await self._requests.delete_one(
            {"_id": request_id(requester_id, target_id), "target_id": target_id}
        )
        return bool(result.deleted_count)

    async def page(self, target_id: int, after: int | None, limit: int) -> Page[FollowRequest]:
        """Pending requests to the target, newest first."""
        query: dict[str, Any] = {"target_id": target_id}
        if after is not None:
            query["seq"] = {"$lt": after}
        rows = await self._requests.find(query).sort("seq", DESCENDING).limit(limit + 1).to_list(limit + 1)
        return Page.from_overfetch([_request(row) for row in rows], limit)

    async def requested_which(self, requester_id: int, target_ids: Sequence[int]) -> set[int]:
        """Which of `target_ids` the requester has asked to follow (one query)."""
        if not target_ids:
            return set()
        unique = list(set(target_ids))
        rows = await self._requests.find(
            {"_id": {"$in": [request_id(requester_id, t) for t in unique]}}, {"target_id": 1}
        ).to_list(None)
        return {row["target_id"] for row in rows}


def _request(row: dict[str, Any]) -> FollowRequest:
    return FollowRequest(row["seq"], row["requester_id"], row["target_id"], row["created_at"].astimezone(UTC))
