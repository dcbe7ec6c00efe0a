from __future__ import annotations

from resolvers.hydration import hydrate_posts
from schema.context import Info
from schema.cursors import decode_cursor, encode_cursor
from schema.selection import connection_node_fields
from schema.types.connections import PostConnection, PostEdge, page_info
from services.foundation.pagination import Page, check_page_size
from services.posts.service import PostRecord


async def _connection(info: Info, page: Page[PostRecord], after_key: int | None) -> PostConnection:
    posts = await hydrate_posts(info, page.items, connection_node_fields(info))
    edges = [PostEdge(cursor=encode_cursor(post.row_id), node=post) for post in posts]
    return PostConnection(
        edges=edges, page_info=page_info([r.id for r in page.items], page.has_next, after_key is not None)
    )


async def home_timeline(info: Info, first: int, after: str | None) -> PostConnection:
    limit = check_page_size(first)
    after_key = decode_cursor(after)
    viewer_id = info.context.require_viewer()
    page = await info.context.services.home.page(viewer_id, after_key, limit)
    return await _connection(info, page, after_key)


async def user_timeline(info: Info, author_id: int, first: int, after: str | None) -> PostConnection:
    limit = check_page_size(first)
    after_key = decode_cursor(after)
    viewer_id = info.context.viewer_id
    page = await info.context.services.posts.author_posts(
        author_id, after_key, limit, include_own_hidden=viewer_id == author_id
    )
    return await _connection(info, page, after_key)
