"""Finding people: search results and suggestions of whom to follow."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from resolvers.rank_cursors import encode_rank_cursor
from schema.types import user as user_types
from schema.types.common import PageInfo
from schema.types.connections import cursor_page_info

if TYPE_CHECKING:
    from resolvers.people import RankedPage
    from schema.types.user import User
    from services.discovery.suggestions import Suggestion

UserRef = Annotated["User", strawberry.lazy("schema.types.user")]


@strawberry.type
class UserSearchEdge:
    cursor: str
    node: UserRef
    exact_match: bool = strawberry.field(description="The query is this user's username.")


@strawberry.type
class UserSearchConnection:
    edges: list[UserSearchEdge]
    page_info: PageInfo


def user_search_connection(page: RankedPage) -> UserSearchConnection:
    edges = [
        UserSearchEdge(
            cursor=encode_rank_cursor(found.rank),
            node=user_types.User.from_record(found.user),
            exact_match=bool(found.rank[0]),
        )
        for found in page.found
    ]
    return UserSearchConnection(
        edges=edges,
        page_info=cursor_page_info([edge.cursor for edge in edges], page.has_next, page.has_previous),
    )


@strawberry.type
class SuggestedUserEdge:
    cursor: str
    node: UserRef
    reason: str = strawberry.field(
        description='Why: "Followed by mina and 2 others", or "Popular on Aperture".'
    )
    followed_by: list[UserRef] = strawberry.field(
        description="Accounts the viewer follows that follow this one, at most 3."
    )
    mutual_count: int = strawberry.field(description="How many accounts the viewer follows follow this one.")


@strawberry.type(description="Accounts to follow, best first; one ranked page.")
class SuggestedUserConnection:
    edges: list[SuggestedUserEdge]
    page_info: PageInfo


def suggestion_connection(suggestions: list[Suggestion]) -> SuggestedUserConnection:
    edges = [
        SuggestedUserEdge(
            cursor=encode_rank_cursor((rank,)),
            node=user_types.User.from_record(suggestion.user),
            reason=suggestion.reason,
            followed_by=[user_types.User.from_record(user) for user in suggestion.followed_by],
            mutual_count=suggestion.mutual_count,
        )
        for rank, suggestion in enumerate(suggestions, start=1)
    ]
    return SuggestedUserConnection(
        edges=edges,
        page_info=cursor_page_info([edge.cursor for edge in edges], has_next=False, has_previous=False),
    )
