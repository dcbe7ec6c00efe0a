"""Headless Chromium (Debian's package) driven by Playwright, with the internet cut off."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import TYPE_CHECKING
from urllib.parse import urlparse

import pytest

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Page, Response, Route

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


@dataclass
class Watch:
    """What went wrong on the pages of a test: requests that tried to leave, script errors, failed responses."""

    external: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert self.external == [], "the client must not reach beyond the server"
        assert self.errors == [], self.errors
        assert self.failed == [], self.failed


DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


async def watched_tab(
    browser: Browser, watch: Watch, size: dict[str, int] = DESKTOP, context: BrowserContext | None = None
) -> Page:
    """A tab in its own browser profile (or in `context`), only on loopback, watched for errors."""
    if context is None:
        context = await browser.new_context(viewport=size)  # type: ignore[arg-type]
    page = await context.new_page()
    await page.set_viewport_size(size)  # type: ignore[arg-type]

    async def only_local(route: Route) -> None:
        host = urlparse(route.request.url).hostname or ""
        if host in LOCAL_HOSTS or route.request.url.startswith(("data:", "blob:")):
            await route.continue_()
        else:
            watch.external.append(route.request.url)
            await route.abort("internetdisconnected")

    await page.route("**/*", only_local)
    page.on("pageerror", lambda error: watch.errors.append(str(error)))

    def on_response(response: Response) -> None:
        if response.status >= HTTPStatus.BAD_REQUEST:
            watch.failed.append(f"{response.status} {response.url}")

    page.on("response", on_response)
    return page


async def sign_in(page: Page, server_url: str, username: str, password: str, route: str = "") -> None:
    await page.goto(f"{server_url}/{route}")
    await page.get_by_test_id("auth-username").fill(username)
    await page.get_by_test_id("auth-password").fill(password)
    await page.get_by_test_id("auth-submit").click()
    await page.get_by_test_id("live-status").filter(has_text="Live").wait_for()
