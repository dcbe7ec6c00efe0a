"""Request ids and the access log, as plain ASGI middleware (no per-request task overhead)."""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import TYPE_CHECKING

from aperture.logs import request_id_var

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("aperture.access")
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9_\-]{8,64}")
_QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


def request_id_from(headers: list[tuple[bytes, bytes]]) -> str:
    for name, value in headers:
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            if _VALID_REQUEST_ID.fullmatch(candidate):
                return candidate
    return uuid.uuid4().hex


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in {"http", "websocket"}:
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(scope.get("headers", []))
        scope.setdefault("state", {})["request_id"] = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await self.app_send(send, message)

        try:
            # A WebSocket's messages pass as they are: a thousand frames a post, each through two
            # more coroutines, would cost measurably (bench/live.py), for nothing to add to them
            await self.app(scope, receive, send_with_id if scope["type"] == "http" else send)
        finally:
            path = scope.get("path", "")
            if path not in _QUIET_PATHS:
                state = scope.get("state", {})
                log.info(
                    "%s %s %s",
                    scope.get("method", "WS"),
                    path,
                    status,
                    extra={
                        "status": status,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                        "operation": state.get("operation_name"),
                        "outcome": state.get("outcome"),
                    },
                )
            request_id_var.reset(token)

    @staticmethod
    async def app_send(send: Send, message: Message) -> None:
        await send(message)
