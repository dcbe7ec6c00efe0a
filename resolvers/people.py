"""Finding people: search by name, and suggestions of whom to follow."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from resolvers.rank_cursors import decode_rank_cursor
from services.foundation.errors import forbidden
from services.foundation.pagination import check_page_size

if TYPE_CHECKING:
    from resolvers.context import Info
    from services.discovery.search import PersonFound
    from services.discovery.suggestions import Suggestion


@dataclass(frozen=True, slots=True)
class RankedPage:
    found: list[PersonFound]
    has_next: bool
    has_previous: bool


async def search_users(info: Info, query: str, first: int, after: str | None) -> RankedPage:
    limit = check_page_size(first)
    after_rank = decode_rank_cursor(after, 3)
    rank = (after_rank[0], after_rank[1], after_rank[2]) if after_rank is not None else None
    page = await info.context.services.search.search(query, rank, limit)
    return RankedPage(page.items, page.has_next, has_previous=after is not None)


async def suggested_users(info: Info, user_id: int, first: int) -> list[Suggestion]:
    if info.context.viewer_id != user_id:
        raise forbidden("suggestions are private to their owner")
    return await info.context.services.suggestions.suggest(user_id, check_page_size(first))
