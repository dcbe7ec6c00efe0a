"""Relay `node`/`nodes`: a global id names its type, and each type fetches through its loader."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import strawberry

from schema.context import Info
from schema.ids import parse_global_id
from schema.types.comment import Comment
from schema.types.common import Node
from schema.types.post import Post
from schema.types.user import User
from services.foundation.errors import DomainError, ErrorCode

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

MAX_NODES = 100


async def _users(info: Info, raw_id: int) -> Node | None:
    record = await info.context.loaders.user_by_id.load(raw_id)
    return User.from_record(record) if record else None


async def _posts(info: Info, raw_id: int) -> Node | None:
    record = await info.context.loaders.post_by_id.load(raw_id)
    return Post.from_record(record) if record and record.visible_to(info.context.viewer_id) else None


async def _comments(info: Info, raw_id: int) -> Node | None:
    record = await info.context.loaders.comment_by_id.load(raw_id)
    if record is None:
        return None
    post = await info.context.loaders.post_by_id.load(record.post_id)
    if post is None or not post.visible_to(info.context.viewer_id):
        return None
    return Comment.from_record(record)


NODE_FETCHERS: dict[str, Callable[[Info, int], Awaitable[Node | None]]] = {
    "User": _users,
    "Post": _posts,
    "Comment": _comments,
}


async def node(info: Info, id: strawberry.ID) -> Node | None:  # noqa: A002 - Relay names this argument `id`
    type_name, raw_id = parse_global_id(id, "id")
    fetch = NODE_FETCHERS.get(type_name)
    if fetch is None:
        raise DomainError(ErrorCode.INVALID_ID, f"no object type is called {type_name!r}", "id")
    return await fetch(info, raw_id)


async def nodes(info: Info, ids: list[strawberry.ID]) -> list[Node | None]:
    if len(ids) > MAX_NODES:
        raise DomainError(ErrorCode.INVALID_INPUT, f"at most {MAX_NODES} ids at once", "ids")
    # Loaders batch these into one fetch per type
    return list(await asyncio.gather(*(node(info, global_id) for global_id in ids)))
