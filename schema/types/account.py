"""Payloads of the account mutations."""

from __future__ import annotations

import strawberry

from schema.types.common import UserError
from schema.types.user import User


@strawberry.type
class AuthPayload:
    token: str | None = strawberry.field(
        default=None, description="Bearer token: send it as `Authorization: Bearer <token>`."
    )
    user: User | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SignOutPayload:
    signed_out: bool = False
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class UpdateProfilePayload:
    user: User | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
