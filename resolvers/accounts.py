"""Accounts: sign-up, sign-in, sign-out, profiles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from resolvers.global_ids import expect_global_id
from services.accounts.sessions import Session

if TYPE_CHECKING:
    from resolvers.context import Info
    from services.accounts.users import UserRecord


@dataclass(frozen=True, slots=True)
class SignedIn:
    token: str
    user: UserRecord


async def sign_up(info: Info, username: str, password: str, display_name: str | None) -> SignedIn:
    services = info.context.services
    record = await services.users.sign_up(username, password, display_name)
    await services.sign_in_failures.remember(record.username, info.context.client_address())
    return SignedIn(await services.sessions.create(record.id), record)


async def sign_in(info: Info, username: str, password: str) -> SignedIn:
    services = info.context.services
    async with services.sign_in_failures.attempt(username, info.context.client_address()):
        record = await services.users.authenticate(username, password)
    return SignedIn(await services.sessions.create(record.id), record)


async def sign_out(info: Info) -> bool:
    context = info.context
    viewer_id = context.require_viewer()
    if context.session_id is not None:
        await context.services.sessions.revoke(Session(context.session_id, viewer_id))
    return True


async def update_profile(
    info: Info,
    display_name: str | None,
    bio: str | None,
    avatar_upload_id: str | None = None,
    is_private: bool | None = None,
) -> UserRecord:
    context = info.context
    viewer_id = context.require_viewer()
    upload_id = expect_global_id(avatar_upload_id, "Upload", "avatarUploadId") if avatar_upload_id else None
    record = await context.services.users.update_profile(viewer_id, display_name, bio, is_private=is_private)
    if upload_id is not None:
        record = await context.services.avatars.start(viewer_id, upload_id)
    return record


async def viewer(info: Info) -> UserRecord | None:
    context = info.context
    if context.viewer_id is None:
        return None
    return await context.loaders.user_by_id.load(context.viewer_id)


async def user_by_username(info: Info, username: str) -> UserRecord | None:
    services, viewer_id = info.context.services, info.context.viewer_id
    record = await services.profile_views.open(username, viewer_id)
    if record is not None and await services.policy.hides_profile(viewer_id, record.id):
        return None  # they blocked the viewer: as if there were no such account
    if record is not None:
        info.context.loaders.user_by_id.prime(record.id, record)
    return record
