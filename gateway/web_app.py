"""The reference web client, served by Aperture itself so that it works with no internet access."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from starlette.responses import FileResponse

if TYPE_CHECKING:
    from starlette.requests import Request

WEB_APP_DIR = Path(__file__).resolve().parent.parent / "web" / "app"


async def web_app_index(_: Request) -> FileResponse:
    # The page itself is never cached, so a deploy reaches browsers at once
    return FileResponse(WEB_APP_DIR / "index.html", headers={"Cache-Control": "no-cache"})


async def favicon(_: Request) -> FileResponse:
    # Browsers ask for /favicon.ico on their own, whatever the page links to
    return FileResponse(
        WEB_APP_DIR / "favicon.svg", media_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"}
    )
