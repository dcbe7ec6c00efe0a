from __future__ import annotations

import strawberry

from resolvers import accounts, hashtags, nodes, people, posts
from resolvers.context import Info
from schema.types.common import Node
from schema.types.hashtag import Hashtag, TrendingHashtagConnection, trending_connection
from schema.types.nodes import node_of
from schema.types.people import UserSearchConnection, user_search_connection
from schema.types.post import Post
from schema.types.user import User


@strawberry.type
class Query:
    @strawberry.field(description="The signed-in user, or null without a valid token.")
    async def viewer(self, info: Info) -> User | None:
        record = await accounts.viewer(info)
        return User.from_record(record) if record else None

    @strawberry.field(description="A user by username (case-insensitive).")
    async def user(self, info: Info, username: str) -> User | None:
        record = await accounts.user_by_username(info, username)
        return User.from_record(record) if record else None

    @strawberry.field(description="A post by id. NOT_FOUND when it does not exist or was deleted.")
    async def post(self, info: Info, id: strawberry.ID) -> Post | None:  # noqa: A002 - GraphQL argument name
        return Post.from_record(await posts.post(info, id))

    @strawberry.field(description="Any object by its global id.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:  # noqa: A002 - Relay names it `id`
        return node_of(await nodes.node(info, id))

    @strawberry.field(description="Up to 100 objects by global id, in order.")
    async def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[Node | None]:
        return [node_of(record) for record in await nodes.nodes(info, list(ids))]

    @strawberry.field(
        description="A hashtag by name, with or without its '#', case-insensitive. A tag no post carries "
        "yet has an empty page; a name that cannot be a hashtag is INVALID_HASHTAG."
    )
    def hashtag(self, name: str) -> Hashtag:
        return Hashtag(name=hashtags.hashtag(name))

    @strawberry.field(
        description="People whose username or display name (or a word of it) starts with `query`, case- "
        "and accent-insensitive: an exact username first, then by follower count. At least 2 characters "
        "(QUERY_TOO_SHORT)."
    )
    async def search_users(
        self, info: Info, query: str, first: int, after: str | None = None
    ) -> UserSearchConnection:
        return user_search_connection(await people.search_users(info, query, first, after))

    @strawberry.field(description="The hashtags used by the most distinct people in the last 24 hours.")
    async def trending_hashtags(self, info: Info, first: int) -> TrendingHashtagConnection:
        return trending_connection(await hashtags.trending(info, first))
