"""Relay `node`/`nodes`: a global id names its type, and each type fetches through its loader."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from resolvers import privacy
from resolvers.global_ids import parse_global_id
from services.foundation.errors import DomainError, ErrorCode

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from resolvers.context import Info
    from services.accounts.users import UserRecord
    from services.engagement.comment_records import CommentRecord
    from services.posts.records import PostRecord

    NodeRecord = UserRecord | PostRecord | CommentRecord

MAX_NODES = 100


async def _user(info: Info, raw_id: int) -> NodeRecord | None:
    record = await info.context.loaders.user_by_id.load(raw_id)
    if record is None or await info.context.services.policy.hides_profile(info.context.viewer_id, raw_id):
        return None
    return record


async def _visible_post(info: Info, post_id: int) -> PostRecord | None:
    record = await info.context.loaders.post_by_id.load(post_id)
    if record is None or not record.visible_to(info.context.viewer_id):
        return None
    return record if await privacy.can_see(info, record.author_id) else None


async def _post(info: Info, raw_id: int) -> NodeRecord | None:
    return await _visible_post(info, raw_id)


async def _comment(info: Info, raw_id: int) -> NodeRecord | None:
    record = await info.context.loaders.comment_by_id.load(raw_id)
    if record is None or await _visible_post(info, record.post_id) is None:
        return None
    return record if await privacy.unblocked_ids(info, [record.author_id]) else None


NODE_FETCHERS: dict[str, Callable[[Info, int], Awaitable[NodeRecord | None]]] = {
    "User": _user,
    "Post": _post,
    "Comment": _comment,
}


async def node(info: Info, global_id: str) -> NodeRecord | None:
    type_name, raw_id = parse_global_id(global_id, "id")
    fetch = NODE_FETCHERS.get(type_name)
    if fetch is None:
        raise DomainError(ErrorCode.INVALID_ID, f"no object type is called {type_name!r}", "id")
    return await fetch(info, raw_id)


async def nodes(info: Info, global_ids: list[str]) -> list[NodeRecord | None]:
    if len(global_ids) > MAX_NODES:
        raise DomainError(ErrorCode.INVALID_INPUT, f"at most {MAX_NODES} ids at once", "ids")
    # Loaders batch these into one fetch per type
    return list(await asyncio.gather(*(node(info, global_id) for global_id in global_ids)))
