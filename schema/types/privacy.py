"""Payloads and enums of follow requests, blocks, mutes and reports."""

from __future__ import annotations

from typing import TYPE_CHECKING

import strawberry

from schema.types.common import UserError
from schema.types.user import User
from services.privacy.reports import ReportReason

if TYPE_CHECKING:
    from resolvers.interactions import Change
    from services.accounts.users import UserRecord

ReportReasonEnum = strawberry.enum(
    ReportReason, name="ReportReason", description="Why something is reported, for moderators to triage."
)


@strawberry.type(description="The result of a follow request decision, a block or a mute.")
class UserRelationPayload:
    user: User | None = strawberry.field(default=None, description="The other user.")
    changed: bool = strawberry.field(default=False, description="False when it was already as asked.")
    errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def for_change(cls, change: Change[UserRecord]) -> UserRelationPayload:
        user = User.from_record(change.target) if change.target is not None else None
        return cls(user=user, changed=change.changed)


@strawberry.type
class ReportPayload:
    reported: bool = strawberry.field(
        default=False, description="False when the viewer had already reported this (kept once)."
    )
    errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def for_outcome(cls, reported: bool) -> ReportPayload:
        return cls(reported=reported)
