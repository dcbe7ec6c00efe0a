"""Where notifications live. Owns the `notification_items`, `notification_groups` and
`notification_reads` collections.

An item is one contribution (its _id is "group|source", so writing it twice is a duplicate key);
a group document is derived from its items: the newest distinct actors and the newest
activity, recomputed after every change and checked again after it is written, so concurrent
jobs on one group converge on what the items say. A group with no items is deleted. Counts
are not kept here but in the counters service (kind `notice`), which recounts the items.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from services.foundation.documents import DUPLICATE_KEY, insert_new
from services.notifications.records import NotificationGroup, group_filter, recipient_of

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pymongo.asynchronous.database import AsyncDatabase

    from services.foundation.ids import IdGenerator
    from services.notifications.records import Contribution

ACTORS_SHOWN = 3
_SAMPLE_READ = 12  # newest items read to find ACTORS_SHOWN distinct actors (one may act often)
_SETTLE_ATTEMPTS = 5
_NEWEST = [("seq", DESCENDING), ("_id", DESCENDING)]
_NEWEST_GROUPS = [("latest_seq", DESCENDING), ("_id", DESCENDING)]


@dataclass(frozen=True, slots=True)
class Settled:
    group: NotificationGroup | None  # None: the group has no items left, and was deleted
    created: bool


class NotificationStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]], ids: IdGenerator) -> None:
        self._items = db["notification_items"]
        self._groups = db["notification_groups"]
        self._reads = db["notification_reads"]
        self._ids = ids

    async def ensure_indexes(self) -> None:
        await self._items.create_index([("source", ASCENDING)], name="by_source")
        await self._items.create_index([("group_id", ASCENDING), ("seq", DESCENDING)], name="by_group")
        await self._items.create_index([("post_id", ASCENDING)], name="by_post")
        await self._groups.create_index(
            [("recipient_id", ASCENDING), ("latest_seq", DESCENDING)], name="by_recipient"
        )
        await self._groups.create_index([("post_id", ASCENDING)], name="by_post")
        await self._groups.create_index([("nid", ASCENDING)], name="by_nid")

    async def reconcile(self, source: str, wanted: Sequence[Contribution]) -> dict[str, int]:
        """Make the items of `source` exactly `wanted`; returns each touched group with the
        change in its item count that this call made (0 when it found the work already done)."""
        existing = (
            await self._items.find({"source": source}, {"group_id": 1, "recipient_id": 1})
            .sort("_id", ASCENDING)
            .to_list(None)
        )
        wanted_by_id = {item.item_id: item for item in wanted}
        changes: dict[str, int] = {}
        for row in existing:
            if row["_id"] not in wanted_by_id:
                removed = await self._items.delete_one(
                    {"_id": row["_id"], "recipient_id": row["recipient_id"]}
                )
                changes[row["group_id"]] = changes.get(row["group_id"], 0) - removed.deleted_count
        present = {row["_id"] for row in existing}
        for item_id, item in wanted_by_id.items():
            added = item_id not in present and await insert_new(self._items, item.to_document())
            changes[item.group_id] = changes.get(item.group_id, 0) + int(added)
        return changes

    async def settle(self, group_id: str) -> Settled:
        """Rewrite the group from its items, until a second look finds nothing changed meanwhile."""
        settled = Settled(None, created=False)
        for _ in range(_SETTLE_ATTEMPTS):
            newest = await self._newest_items(group_id)
            settled = await self._write_group(group_id, newest)
            if await self._newest_items(group_id) == newest:
                break
        return settled

    async def _newest_items(self, group_id: str) -> list[dict[str, Any]]:
        return await (
            self._items.find({"group_id": group_id, "recipient_id": recipient_of(group_id)})
            .sort(_NEWEST)
            .limit(_SAMPLE_READ)
            .to_list(_SAMPLE_READ)
        )

    async def _write_group(self, group_id: str, newest: list[dict[str, Any]]) -> Settled:
        if not newest:
            await self._groups.delete_one(group_filter(group_id))
            return Settled(None, created=False)
        actors = list(dict.fromkeys(row["actor_id"] for row in newest))[:ACTORS_SHOWN]
        top = newest[0]
        nid = self._ids.next_id()
        document = await self._groups.find_one_and_update(
            group_filter(group_id),
            {
                "$set": {"actor_ids": actors, "latest_seq": top["seq"], "latest_at": top["at"]},
                "$setOnInsert": {
                    "nid": nid,
                    "kind": top["kind"],
                    "subject": top["subject"],
                    "post_id": top["post_id"],
                },
            },
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        if document is None:  # an upsert always returns the document; this keeps the types honest
            raise RuntimeError(f"notification group {group_id} vanished during its upsert")
        return Settled(NotificationGroup.from_document(document), created=document["nid"] == nid)

    async def trim(self, recipient_id: int, keep: int) -> list[str]:
        """Delete the recipient's oldest groups beyond the newest `keep`; returns their ids."""
        total = await self._groups.count_documents({"recipient_id": recipient_id})
        if total <= keep:
            return []
        excess = total - keep
        oldest = await (
            self._groups.find({"recipient_id": recipient_id}, {"_id": 1})
            .sort([("latest_seq", ASCENDING), ("_id", ASCENDING)])
            .limit(excess)
            .to_list(excess)
        )
        group_ids = [row["_id"] for row in oldest]
        # Items first: a group whose items are gone is deleted by the next settle anyway
        await self._items.delete_many({"recipient_id": recipient_id, "group_id": {"$in": group_ids}})
        await self._groups.delete_many({"recipient_id": recipient_id, "_id": {"$in": group_ids}})
        return group_ids

    async def remove_post(self, post_id: int) -> list[NotificationGroup]:
        """Forget every notification about a post; returns the groups that went."""
        rows = await self._groups.find({"post_id": post_id}).sort("_id", ASCENDING).to_list(None)
        await self._items.delete_many({"post_id": post_id})
        await self._groups.delete_many({"post_id": post_id})
        return [NotificationGroup.from_document(row) for row in rows]

    async def get(self, group_id: str) -> NotificationGroup | None:
        row = await self._groups.find_one(group_filter(group_id))
        return NotificationGroup.from_document(row) if row is not None else None

    async def page(self, recipient_id: int, before: int | None, limit: int) -> list[NotificationGroup]:
        """Groups by newest activity, below the activity id `before`: `limit` of them at most."""
        query: dict[str, Any] = {"recipient_id": recipient_id}
        if before is not None:
            query["latest_seq"] = {"$lt": before}
        rows = await self._groups.find(query).sort(_NEWEST_GROUPS).limit(limit).to_list(limit)
        return [NotificationGroup.from_document(row) for row in rows]

    async def read_up_to(self, recipient_id: int) -> int:
        row = await self._reads.find_one({"_id": recipient_id})
        return int(row["up_to"]) if row is not None else 0

    async def mark_read(self, recipient_id: int, up_to: int) -> None:
        """Everything with activity up to `up_to` is read; the mark never moves back."""
        try:
            await self._reads.update_one(
                {"_id": recipient_id, "up_to": {"$lt": up_to}}, {"$set": {"up_to": up_to}}, upsert=True
            )
        except DuplicateKeyError as exc:
            # The mark is already at or past `up_to`: the upsert collided with it
            if exc.code != DUPLICATE_KEY:
                raise

    async def count_unread(self, recipient_id: int, read_up_to: int) -> int:
        return await self._groups.count_documents(
            {"recipient_id": recipient_id, "latest_seq": {"$gt": read_up_to}}
        )

    async def newest_seq(self, recipient_id: int) -> int:
        rows = await self.page(recipient_id, None, 1)
        return rows[0].latest_seq if rows else 0

    async def exact_counts(self, nids: Sequence[int]) -> dict[int, int]:
        """Items per group, by the groups' counter numbers (for the counter flush)."""
        groups = await self._groups.find({"nid": {"$in": list(nids)}}, {"nid": 1}).to_list(None)
        by_group = {row["_id"]: row["nid"] for row in groups}
        counts = dict.fromkeys(nids, 0)
        if by_group:
            pipeline: list[dict[str, Any]] = [
                {"$match": {"group_id": {"$in": list(by_group)}}},
                {"$group": {"_id": "$group_id", "n": {"$sum": 1}}},
            ]
            for row in await (await self._items.aggregate(pipeline)).to_list(None):
                counts[by_group[row["_id"]]] = int(row["n"])
        return counts
