"""Reports of posts and people, for moderators. Owns the `reports` collection.

One document per reporter and target, its _id "reporter:POST:id" or "reporter:USER:id", so a
second report of the same thing by the same person is a duplicate key, not a second row.
Moderators list them with `aperture reports` (newest first).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import TYPE_CHECKING, Any

from pymongo import DESCENDING

from services.foundation.clock import utc_now
from services.foundation.documents import insert_new
from services.foundation.errors import DomainError, ErrorCode, not_found

if TYPE_CHECKING:
    from pymongo.asynchronous.database import AsyncDatabase

    from services.accounts.users import UserService
    from services.foundation.ids import IdGenerator
    from services.posts.service import PostService
    from services.privacy.policy import VisibilityPolicy

MAX_REPORT_TEXT = 1000


class ReportReason(Enum):
    SPAM = "SPAM"
    HARASSMENT = "HARASSMENT"
    HATE = "HATE"
    VIOLENCE = "VIOLENCE"
    NUDITY = "NUDITY"
    SELF_HARM = "SELF_HARM"
    IMPERSONATION = "IMPERSONATION"
    INTELLECTUAL_PROPERTY = "INTELLECTUAL_PROPERTY"
    OTHER = "OTHER"


class ReportTarget(Enum):
    POST = "POST"
    USER = "USER"


@dataclass(frozen=True, slots=True)
class Report:
    seq: int
    reporter_id: int
    target: ReportTarget
    target_id: int
    subject_user_id: int  # the reported user, or the reported post's author
    reason: ReportReason
    text: str
    created_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.seq,
            "reporterId": self.reporter_id,
            "target": self.target.value,
            "targetId": self.target_id,
            "subjectUserId": self.subject_user_id,
            "reason": self.reason.value,
            "text": self.text,
            "createdAt": self.created_at.isoformat(),
        }


class ReportService:
    def __init__(
        self,
        db: AsyncDatabase[dict[str, Any]],
        ids: IdGenerator,
        *,
        posts: PostService,
        users: UserService,
        policy: VisibilityPolicy,
    ) -> None:
        self._reports = db["reports"]
        self._ids = ids
        self._posts = posts
        self._users = users
        self._policy = policy

    async def ensure_indexes(self) -> None:
        await self._reports.create_index([("seq", DESCENDING)], name="newest")

    async def report_post(self, reporter_id: int, post_id: int, reason: ReportReason, text: str) -> bool:
        """Report a post the reporter can see; False when they already reported it."""
        post = await self._posts.get(post_id)
        if (
            post is None
            or not post.visible_to(reporter_id)
            or not await self._policy.can_see(reporter_id, post.author_id)
        ):
            raise not_found("post", "postId")
        return await self._file(reporter_id, ReportTarget.POST, post_id, post.author_id, reason, text)

    async def report_user(self, reporter_id: int, user_id: int, reason: ReportReason, text: str) -> bool:
        """Report a person (even one who blocked the reporter); False when already reported."""
        if reporter_id == user_id:
            raise DomainError(ErrorCode.CANNOT_TARGET_SELF, "you cannot report yourself", "userId")
        if await self._users.get(user_id) is None:
            raise not_found("user", "userId")
        return await self._file(reporter_id, ReportTarget.USER, user_id, user_id, reason, text)

    async def _file(  # noqa: PLR0917 - one report's fields
        self,
        reporter_id: int,
        target: ReportTarget,
        target_id: int,
        subject_user_id: int,
        reason: ReportReason,
        text: str,
    ) -> bool:
        """Store a report; False when this reporter already reported this target."""
        text = text.strip()
        if len(text) > MAX_REPORT_TEXT:
            raise DomainError(
                ErrorCode.TEXT_TOO_LONG, f"text is at most {MAX_REPORT_TEXT} characters", "text"
            )
        return await insert_new(
            self._reports,
            {
                "_id": f"{reporter_id}:{target.value}:{target_id}",
                "seq": self._ids.next_id(),
                "reporter_id": reporter_id,
                "target": target.value,
                "target_id": target_id,
                "subject_user_id": subject_user_id,
                "reason": reason.value,
                "text": text,
                "created_at": utc_now(),
            },
        )

    async def newest(self, limit: int) -> list[Report]:
        rows = await self._reports.find().sort("seq", DESCENDING).limit(limit).to_list(limit)
        return [
            Report(
                seq=row["seq"],
                reporter_id=row["reporter_id"],
                target=ReportTarget(row["target"]),
                target_id=row["target_id"],
                subject_user_id=row["subject_user_id"],
                reason=ReportReason(row["reason"]),
                text=row["text"],
                created_at=row["created_at"].astimezone(UTC),
            )
            for row in rows
        ]
