"""Private accounts, follow requests, blocks, mutes and reports."""

from __future__ import annotations

from typing import TYPE_CHECKING

from resolvers.cursors import decode_cursor
from resolvers.global_ids import expect_global_id
from resolvers.interactions import Change
from resolvers.pages import Edge, EdgePage
from services.foundation.errors import forbidden
from services.foundation.pagination import Page, check_page_size

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence
    from datetime import datetime

    from resolvers.context import Info
    from services.accounts.users import UserRecord
    from services.posts.records import PostRecord
    from services.privacy.reports import ReportReason
    from services.privacy.service import PrivacyService


async def _user_change(
    info: Info, user_id: str, act: Callable[[PrivacyService], Callable[[int, int], Awaitable[bool]]]
) -> Change[UserRecord]:
    viewer_id = info.context.require_viewer()
    target_id = expect_global_id(user_id, "User", "userId")
    changed = await act(info.context.services.privacy)(viewer_id, target_id)
    return Change(await info.context.loaders.user_by_id.load(target_id), changed)


async def approve_request(info: Info, user_id: str) -> Change[UserRecord]:
    return await _user_change(info, user_id, lambda privacy: privacy.approve)


async def reject_request(info: Info, user_id: str) -> Change[UserRecord]:
    return await _user_change(info, user_id, lambda privacy: privacy.reject)


async def cancel_request(info: Info, user_id: str) -> Change[UserRecord]:
    return await _user_change(info, user_id, lambda privacy: privacy.cancel)


async def block(info: Info, user_id: str, *, block: bool) -> Change[UserRecord]:
    return await _user_change(info, user_id, lambda privacy: privacy.block if block else privacy.unblock)


async def mute(info: Info, user_id: str, *, mute: bool) -> Change[UserRecord]:
    return await _user_change(info, user_id, lambda privacy: privacy.mute if mute else privacy.unmute)


async def report_post(info: Info, post_id: str, reason: ReportReason, text: str) -> bool:
    viewer_id = info.context.require_viewer()
    target_id = expect_global_id(post_id, "Post", "postId")
    return await info.context.services.reports.report_post(viewer_id, target_id, reason, text)


async def report_user(info: Info, user_id: str, reason: ReportReason, text: str) -> bool:
    viewer_id = info.context.require_viewer()
    target_id = expect_global_id(user_id, "User", "userId")
    return await info.context.services.reports.report_user(viewer_id, target_id, reason, text)


async def viewer_requested_follow(info: Info, user_id: int) -> bool:
    return await info.context.loaders.viewer_requested_follow.load(user_id)


async def _people_page(
    info: Info, page: Page[tuple[int, int, datetime]], after: int | None
) -> EdgePage[UserRecord]:
    """Edges of (key, user id, since) as a page of users."""
    records = await info.context.loaders.user_by_id.load_many([user_id for _, user_id, _ in page.items])
    return EdgePage(
        edges=[
            Edge(key, record, since=since)
            for (key, _, since), record in zip(page.items, records, strict=True)
            if record is not None
        ],
        keys=[key for key, _, _ in page.items],
        has_next=page.has_next,
        has_previous=after is not None,
    )


def _own(info: Info, user_id: int, what: str) -> None:
    if info.context.viewer_id != user_id:
        raise forbidden(f"{what} are private to their owner")


async def follow_requests(info: Info, user_id: int, first: int, after: str | None) -> EdgePage[UserRecord]:
    _own(info, user_id, "follow requests")
    limit, after_key = check_page_size(first), decode_cursor(after)
    page = await info.context.services.privacy.incoming_requests(user_id, after_key, limit)
    rows = [(r.seq, r.requester_id, r.created_at) for r in page.items]
    return await _people_page(info, _page(rows, has_next=page.has_next), after_key)


async def blocked_users(info: Info, user_id: int, first: int, after: str | None) -> EdgePage[UserRecord]:
    _own(info, user_id, "blocked users")
    limit, after_key = check_page_size(first), decode_cursor(after)
    page = await info.context.services.privacy.blocked_users(user_id, after_key, limit)
    rows = [(e.seq, e.to_id, e.created_at) for e in page.items]
    return await _people_page(info, _page(rows, has_next=page.has_next), after_key)


async def muted_users(info: Info, user_id: int, first: int, after: str | None) -> EdgePage[UserRecord]:
    _own(info, user_id, "muted users")
    limit, after_key = check_page_size(first), decode_cursor(after)
    page = await info.context.services.privacy.muted_users(user_id, after_key, limit)
    rows = [(e.seq, e.to_id, e.created_at) for e in page.items]
    return await _people_page(info, _page(rows, has_next=page.has_next), after_key)


def _page(rows: list[tuple[int, int, datetime]], *, has_next: bool) -> Page[tuple[int, int, datetime]]:
    return Page(items=rows, has_next=has_next)


async def can_see(info: Info, author_id: int) -> bool:
    """Whether the viewer may see the user's posts, followers and following; the record comes
    from the request's loaders (usually already there: the user was just resolved)."""
    if author_id == info.context.viewer_id:
        return True
    author = await info.context.loaders.user_by_id.load(author_id)
    return author is not None and await info.context.services.policy.can_see_user(
        info.context.viewer_id, author
    )


async def visible_posts(info: Info, records: Sequence[PostRecord]) -> list[PostRecord]:
    """The posts whose authors the viewer may see (private accounts, blocks both ways)."""
    if not records:
        return []
    policy = info.context.services.policy
    allowed = await policy.visible_authors(info.context.viewer_id, [r.author_id for r in records])
    return [record for record in records if record.author_id in allowed]


async def unblocked_ids(info: Info, user_ids: Sequence[int]) -> set[int]:
    return await info.context.services.policy.unblocked(info.context.viewer_id, user_ids)
