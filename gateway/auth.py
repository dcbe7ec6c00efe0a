"""Bearer-token authentication, shared by HTTP requests and WebSocket connection_init.

An HTTP request whose token this process resolved before also reads, in the session's own
round trip, what every signed-in request needs next: the viewer's record and the charge of
its request unit (gateway/request_budget.py). Both are keyed by the user the token belonged
to last time; they are used only if the session still resolves to that user, so a revoked
token gets its 401 as before (having spent at most one unit of its former owner's budget on
this process, which then forgets it).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gateway.request_units import signed_in_unit, user_subject

if TYPE_CHECKING:
    from gateway.rate_limits import RateLimiter, Verdict
    from services.accounts.sessions import Session
    from services.accounts.users import UserRecord
    from services.container import Services


@dataclass(frozen=True, slots=True)
class Prefetched:
    """What was read beside the session, for its user."""

    viewer: UserRecord | None
    verdict: Verdict | None  # the request unit's charge; None with rate limits off


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


async def authenticate_and_prefetch(
    services: Services, limiter: RateLimiter, token: str
) -> tuple[Session | None, Prefetched | None]:
    """The session, and what was read beside it when the token's user was known."""
    hint = services.sessions.known_user(token)
    if hint is None:
        return await authenticate(services, token), None
    charge = limiter.charge(user_subject(hint), signed_in_unit()) if limiter.enabled else _no_charge()
    session, viewers, verdict = await asyncio.gather(
        authenticate(services, token), services.users.get_many([hint]), charge
    )
    if session is None or session.user_id != hint:
        return session, None
    return session, Prefetched(viewers[0], verdict)


async def _no_charge() -> Verdict | None:
    return None
