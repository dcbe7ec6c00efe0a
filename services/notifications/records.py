"""What a notification is: one contribution (a like, a comment, a follow, a mention) and the
group that gathers the contributions people read together."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any


class NotificationKind(Enum):
    LIKE = "LIKE"
    COMMENT = "COMMENT"
    FOLLOW = "FOLLOW"
    MENTION = "MENTION"


def notification_group_id(recipient_id: int, kind: NotificationKind, subject: str) -> str:
    """One group per recipient, kind and subject: a post id, or a day for follows."""
    return f"{recipient_id}:{kind.value}:{subject}"


def recipient_of(group_id: str) -> int:
    return int(group_id.split(":", 1)[0])


def group_filter(group_id: str) -> dict[str, Any]:
    """A group's id with the shard key of both collections (recipient_id), so that on a sharded
    cluster the group and its items are reached on one shard (docs/scaling.md)."""
    return {"_id": group_id, "recipient_id": recipient_of(group_id)}


@dataclass(frozen=True, slots=True)
class Contribution:
    """One thing someone did that one recipient should hear about. `source` names the fact it
    comes from (a like, a comment, a follow edge, a caption), so undoing the fact finds it."""

    source: str
    recipient_id: int
    kind: NotificationKind
    actor_id: int
    seq: int  # the fact's own time-ordered id: orders activity, and so groups
    at: datetime
    post_id: int | None = None

    @property
    def subject(self) -> str:
        if self.post_id is not None:
            return str(self.post_id)
        return self.at.astimezone(UTC).date().isoformat()

    @property
    def group_id(self) -> str:
        return notification_group_id(self.recipient_id, self.kind, self.subject)

    @property
    def item_id(self) -> str:
        return f"{self.group_id}|{self.source}"

    def to_document(self) -> dict[str, Any]:
        return {
            "_id": self.item_id,
            "group_id": self.group_id,
            "source": self.source,
            "recipient_id": self.recipient_id,
            "kind": self.kind.value,
            "subject": self.subject,
            "post_id": self.post_id,
            "actor_id": self.actor_id,
            "seq": self.seq,
            "at": self.at,
        }


@dataclass(frozen=True, slots=True)
class NotificationGroup:
    id: str
    nid: int  # a number for the group's activity counter, assigned when the group is created
    recipient_id: int
    kind: NotificationKind
    post_id: int | None
    day: str | None  # ISO date of a FOLLOW group
    actor_ids: tuple[int, ...]  # the newest distinct actors, newest first
    latest_seq: int
    latest_at: datetime

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> NotificationGroup:
        kind = NotificationKind(document["kind"])
        return cls(
            id=document["_id"],
            nid=document["nid"],
            recipient_id=document["recipient_id"],
            kind=kind,
            post_id=document.get("post_id"),
            day=document["subject"] if kind is NotificationKind.FOLLOW else None,
            actor_ids=tuple(document.get("actor_ids", ())),
            latest_seq=document["latest_seq"],
            latest_at=document["latest_at"].astimezone(UTC),
        )
