"""Headless Chromium (Debian's package) driven by Playwright, with the internet cut off."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING
from urllib.parse import urlparse

import pytest

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page, Route

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail("chromium is not installed; ./dev test installs it (apt package 'chromium')")
    return path


async def offline_page(browser: Browser, external_requests: list[str]) -> Page:
    """A page that can reach only loopback, recording every request that tried to leave."""
    page = await browser.new_page()

    async def only_local(route: Route) -> None:
        host = urlparse(route.request.url).hostname or ""
        if host in LOCAL_HOSTS or route.request.url.startswith(("data:", "blob:")):
            await route.continue_()
        else:
            external_requests.append(route.request.url)
            await route.abort("internetdisconnected")

    await page.route("**/*", only_local)
    return page
