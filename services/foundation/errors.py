"""Expected failures, each with a stable code that clients can switch on."""

from __future__ import annotations

from enum import Enum
from typing import Any


class ErrorCode(Enum):
    BAD_REQUEST = "BAD_REQUEST"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    INVALID_ID = "INVALID_ID"
    INVALID_CURSOR = "INVALID_CURSOR"
    SNAPSHOT_EXPIRED = "SNAPSHOT_EXPIRED"
    INVALID_PAGE_SIZE = "INVALID_PAGE_SIZE"
    INVALID_INPUT = "INVALID_INPUT"
    USERNAME_TAKEN = "USERNAME_TAKEN"
    USERNAME_INVALID = "USERNAME_INVALID"
    PASSWORD_TOO_SHORT = "PASSWORD_TOO_SHORT"  # noqa: S105 - an error code
    PASSWORD_TOO_LONG = "PASSWORD_TOO_LONG"  # noqa: S105 - an error code
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    TEXT_TOO_LONG = "TEXT_TOO_LONG"
    CANNOT_FOLLOW_SELF = "CANNOT_FOLLOW_SELF"
    CANNOT_TARGET_SELF = "CANNOT_TARGET_SELF"
    BLOCKED = "BLOCKED"
    POST_NOT_VISIBLE = "POST_NOT_VISIBLE"
    QUERY_TOO_SHORT = "QUERY_TOO_SHORT"
    INVALID_HASHTAG = "INVALID_HASHTAG"
    TOO_MANY_FOLLOWED_HASHTAGS = "TOO_MANY_FOLLOWED_HASHTAGS"
    UPLOAD_NOT_FOUND = "UPLOAD_NOT_FOUND"
    UPLOAD_INCOMPLETE = "UPLOAD_INCOMPLETE"
    UPLOAD_ALREADY_USED = "UPLOAD_ALREADY_USED"
    UPLOAD_MISMATCH = "UPLOAD_MISMATCH"
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
    FILE_TOO_LARGE = "FILE_TOO_LARGE"
    TOO_MANY_MEDIA = "TOO_MANY_MEDIA"
    RATE_LIMITED = "RATE_LIMITED"
    QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
    PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
    PERSISTED_QUERY_HASH_MISMATCH = "PERSISTED_QUERY_HASH_MISMATCH"
    INTERNAL_ERROR = "INTERNAL_ERROR"


class DomainError(Exception):
    """An expected failure: reported to the client with its code, never masked."""

    def __init__(self, code: ErrorCode, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    @property
    def extensions(self) -> dict[str, Any]:
        # graphql-core copies `extensions` from the original error into the response
        extensions: dict[str, Any] = {"code": self.code.value}
        if self.field is not None:
            extensions["field"] = self.field
        return extensions


def not_found(what: str, field: str | None = None) -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, f"{what} not found", field)


def unauthenticated() -> DomainError:
    return DomainError(ErrorCode.UNAUTHENTICATED, "sign in first: send Authorization: Bearer <token>")


def forbidden(message: str) -> DomainError:
    return DomainError(ErrorCode.FORBIDDEN, message)
