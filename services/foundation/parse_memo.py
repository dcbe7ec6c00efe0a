"""Parsed forms of cached values, remembered by the exact text they were parsed from.

A hot post is read from Redis by every follower who opens the app, and parsing its JSON into
a record (dates, media, variants) cost about 23 microseconds each time. The text in Redis is
the truth and every read still fetches it; only the parse is skipped when the text is the
same as last time. A writer that changes a post changes its text, so a stale parse can
never be returned: there is nothing to invalidate.

Parsed records are frozen and shared between requests. The same text gives the same object,
which later caches may key on (schema/execution/card_renders.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable

T = TypeVar("T")


class ParseMemo(Generic[T]):
    def __init__(self, parse: Callable[[str], T], capacity: int) -> None:
        self._parse = parse
        self._capacity = capacity
        self._parsed: dict[str, T] = {}
        self.hits = 0
        self.misses = 0

    def __call__(self, raw: str) -> T:
        parsed = self._parsed.get(raw)
        if parsed is not None:
            self.hits += 1
            return parsed
        self.misses += 1
        parsed = self._parse(raw)
        if len(self._parsed) >= self._capacity:
            # The oldest parse goes: a dict keeps insertion order, so this is first-in first-out
            del self._parsed[next(iter(self._parsed))]
        self._parsed[raw] = parsed
        return parsed

    def __len__(self) -> int:
        return len(self._parsed)
