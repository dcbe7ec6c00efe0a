from __future__ import annotations

from resolvers.mutation_errors import as_payload
from schema.context import Info
from schema.types.account import AuthPayload, SignOutPayload, UpdateProfilePayload
from schema.types.user import User


async def sign_up(info: Info, username: str, password: str, display_name: str | None = None) -> AuthPayload:
    services = info.context.services

    async def action() -> AuthPayload:
        record = await services.users.sign_up(username, password, display_name)
        await services.sign_in_failures.remember(record.username, info.context.client_address())
        token = await services.sessions.create(record.id)
        return AuthPayload(token=token, user=User.from_record(record))

    return await as_payload(AuthPayload, action)


async def sign_in(info: Info, username: str, password: str) -> AuthPayload:
    services = info.context.services

    async def action() -> AuthPayload:
        async with services.sign_in_failures.attempt(username, info.context.client_address()):
            record = await services.users.authenticate(username, password)
        token = await services.sessions.create(record.id)
        return AuthPayload(token=token, user=User.from_record(record))

    return await as_payload(AuthPayload, action)


async def sign_out(info: Info) -> SignOutPayload:
    context = info.context

    async def action() -> SignOutPayload:
        context.require_viewer()
        if context.session_id is not None:
            await context.services.sessions.revoke(context.session_id)
        return SignOutPayload(signed_out=True)

    return await as_payload(SignOutPayload, action)


async def update_profile(
    info: Info, display_name: str | None = None, bio: str | None = None
) -> UpdateProfilePayload:
    context = info.context

    async def action() -> UpdateProfilePayload:
        viewer_id = context.require_viewer()
        record = await context.services.users.update_profile(viewer_id, display_name, bio)
        return UpdateProfilePayload(user=User.from_record(record))

    return await as_payload(UpdateProfilePayload, action)


async def viewer(info: Info) -> User | None:
    context = info.context
    if context.viewer_id is None:
        return None
    record = await context.loaders.user_by_id.load(context.viewer_id)
    return User.from_record(record) if record else None


async def user_by_username(info: Info, username: str) -> User | None:
    record = await info.context.services.users.get_by_username(username)
    if record is not None:
        info.context.loaders.user_by_id.prime(record.id, record)
    return User.from_record(record) if record else None
