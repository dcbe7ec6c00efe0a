"""The typed per-request (or per-WebSocket-connection) context."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import strawberry
from starlette.responses import Response

from dataloaders import Loaders, build_loaders
from services.foundation.errors import unauthenticated

if TYPE_CHECKING:
    from collections.abc import Mapping

    from starlette.requests import Request
    from starlette.websockets import WebSocket

    from services.accounts.users import UserRecord
    from services.container import Services


@dataclass
class Context:
    services: Services
    request: Request | WebSocket
    response: Response | WebSocket | None
    request_id: str
    viewer_id: int | None = None
    session_id: str | None = None
    loaders: Loaders = field(init=False)
    # Filled by strawberry from the graphql-transport-ws connection_init payload
    connection_params: dict[str, Any] | None = None
    # Set when execution starts; a request that never got there is a request error (HTTP 400)
    executed: bool = False
    extensions: dict[str, Any] = field(default_factory=dict)
    # What the access log and the metrics name the request by
    operation_name: str | None = None
    operation_type: str | None = None
    # The request unit's charge, made beside the session read (gateway/auth.py); the gateway's to read
    prepaid_charge: Any = None

    def __post_init__(self) -> None:
        self.loaders = build_loaders(self.services, self.viewer_id)

    def renew_loaders(self) -> Loaders:
        """Fresh loaders, so that each subscription event sees current data."""
        self.loaders = build_loaders(self.services, self.viewer_id)
        return self.loaders

    def set_headers(self, headers: Mapping[str, str]) -> None:
        """Response headers, on HTTP; a WebSocket has no per-operation headers."""
        if isinstance(self.response, Response):
            self.response.headers.update(headers)

    def set_status(self, status: int) -> None:
        if isinstance(self.response, Response):
            self.response.status_code = status

    def client_address(self) -> str:
        """The client's address (the proxy's X-Forwarded-For when trusted, see FORWARDED_ALLOW_IPS)."""
        client = self.request.client
        return client.host if client is not None and client.host else "unknown"

    def adopt_prefetched(self, viewer: UserRecord | None, charge: object) -> None:
        """What the gateway read beside the session: the viewer's record, into the loaders (so
        `viewer` resolves without a round trip), and the charge of the request unit."""
        if viewer is not None and self.viewer_id is not None:
            self.loaders.user_by_id.prime(self.viewer_id, viewer)
        self.prepaid_charge = charge

    async def load_viewer(self) -> None:
        """Read the signed-in viewer's record into the loaders. The gateway calls this beside
        the rate-limit charge that every request waits for, so the two share a round trip and
        `viewer` then resolves without one."""
        if self.viewer_id is not None:
            await self.loaders.user_by_id.load_batch([self.viewer_id])

    def require_viewer(self) -> int:
        if self.viewer_id is None:
            raise unauthenticated()
        return self.viewer_id


Info = strawberry.Info[Context, None]
