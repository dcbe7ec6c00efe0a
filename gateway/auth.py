"""Bearer-token authentication, shared by HTTP requests and WebSocket connection_init."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from services.accounts.sessions import Session
    from services.container import Services


def bearer_token(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def authenticate(services: Services, token: str) -> Session | None:
    session = await services.sessions.resolve(token)
    if session is not None:
        await services.activity.touch(session.user_id)
    return session
