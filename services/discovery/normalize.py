"""The one normal form names are indexed and searched in: case- and accent-insensitive."""

from __future__ import annotations

import unicodedata

from services.foundation.errors import DomainError, ErrorCode

MIN_QUERY = 2
MAX_QUERY = 60
# Prefixes up to this length are answered from per-prefix sets ranked by followers; longer
# queries match few enough names to rank them all (docs/social.md)
SHORT_PREFIX = 4


def fold(text: str) -> str:
    """`José  Müller` -> `jose muller`: compatibility-decomposed, marks dropped, casefolded,
    whitespace collapsed."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(unicodedata.normalize("NFKC", bare).casefold().split())


def search_terms(username: str, display_name: str) -> set[str]:
    """What a person can be found by: the username, the whole display name, and each of its words."""
    display = fold(display_name)
    return {term for term in (fold(username), display, *display.split()) if term}


def short_prefixes(terms: set[str]) -> set[str]:
    return {
        term[:length]
        for term in terms
        for length in range(MIN_QUERY, SHORT_PREFIX + 1)
        if len(term) >= length
    }


def search_query(query: str) -> str:
    """The folded query; a leading '@' is the username convention, not part of it."""
    folded = fold(query).removeprefix("@").strip()
    if len(folded) < MIN_QUERY:
        raise DomainError(
            ErrorCode.QUERY_TOO_SHORT, f"type at least {MIN_QUERY} characters to search", "query"
        )
    if len(folded) > MAX_QUERY:
        raise DomainError(
            ErrorCode.INVALID_INPUT, f"search queries are at most {MAX_QUERY} characters", "query"
        )
    return folded
