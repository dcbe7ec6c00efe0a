from __future__ import annotations

import strawberry

from services.foundation.errors import DomainError, ErrorCode

ErrorCodeType = strawberry.enum(
    ErrorCode,
    name="ErrorCode",
    description="Stable codes for expected failures. Shared by every mutation so clients switch on one enum.",
)


@strawberry.type(description="An expected failure of a mutation, reported as data.")
class UserError:
    field: str | None = strawberry.field(description="The input field at fault, if one is.")
    message: str
    code: ErrorCodeType  # type: ignore[valid-type]

    @classmethod
    def from_domain(cls, error: DomainError) -> UserError:
        return cls(field=error.field, message=error.message, code=error.code)


@strawberry.interface(description="An object with a global id, fetchable through `node`.")
class Node:
    id: strawberry.ID


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None
