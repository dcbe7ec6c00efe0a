"""Keyset pages: services take the last key seen and return one extra row to know if more exist."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from services.foundation.errors import DomainError, ErrorCode

T = TypeVar("T")
MAX_PAGE = 100


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    has_next: bool

    @classmethod
    def from_overfetch(cls, rows: list[T], limit: int) -> Page[T]:
        return cls(items=rows[:limit], has_next=len(rows) > limit)


def check_page_size(first: int) -> int:
    if not 1 <= first <= MAX_PAGE:
        raise DomainError(ErrorCode.INVALID_PAGE_SIZE, f"first must be between 1 and {MAX_PAGE}", "first")
    return first
