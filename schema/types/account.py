"""Payloads of the account mutations."""

from __future__ import annotations

from typing import TYPE_CHECKING

import strawberry

from schema.types.common import UserError
from schema.types.user import User

if TYPE_CHECKING:
    from resolvers.accounts import SignedIn
    from services.accounts.users import UserRecord


@strawberry.type
class AuthPayload:
    token: str | None = strawberry.field(
        default=None, description="Bearer token: send it as `Authorization: Bearer <token>`."
    )
    user: User | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def signed_in(cls, result: SignedIn) -> AuthPayload:
        return cls(token=result.token, user=User.from_record(result.user))


@strawberry.type
class SignOutPayload:
    signed_out: bool = False
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class UpdateProfilePayload:
    user: User | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def for_user(cls, record: UserRecord) -> UpdateProfilePayload:
        return cls(user=User.from_record(record))
