from __future__ import annotations

import strawberry

from resolvers import accounts, nodes, posts
from schema.types.common import Node
from schema.types.post import Post
from schema.types.user import User


@strawberry.type
class Query:
    viewer: User | None = strawberry.field(
        resolver=accounts.viewer, description="The signed-in user, or null without a valid token."
    )
    user: User | None = strawberry.field(
        resolver=accounts.user_by_username, description="A user by username (case-insensitive)."
    )
    post: Post | None = strawberry.field(
        resolver=posts.post, description="A post by id. NOT_FOUND when it does not exist or was deleted."
    )
    node: Node | None = strawberry.field(resolver=nodes.node, description="Any object by its global id.")
    nodes: list[Node | None] = strawberry.field(
        resolver=nodes.nodes, description="Up to 100 objects by global id, in order."
    )
