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
    services = info.context.services
    page = await services.search.search(query, rank, limit)
    # People who blocked the viewer are not to be found by them (the blocker still finds whom
    # they blocked, to unblock them)
    hidden = await services.policy.blocking_viewer(info.context.viewer_id, [f.user.id for f in page.items])
    found = [f for f in page.items if f.user.id not in hidden]
    return RankedPage(found, page.has_next, has_previous=after is not None)


async def suggested_users(info: Info, user_id: int, first: int) -> list[Suggestion]:
    if info.context.viewer_id != user_id:
        raise forbidden("suggestions are private to their owner")
    services = info.context.services
    suggestions = await services.suggestions.suggest(user_id, check_page_size(first))
    shown = await services.policy.unblocked(user_id, [s.user.id for s in suggestions])
    return [suggestion for suggestion in suggestions if suggestion.user.id in shown]
