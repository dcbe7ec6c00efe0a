"""Screenshots of the web client's main pages at desktop and phone sizes, for docs/screenshots/.

Run against a server with the demo data (`./dev serve`), in another terminal:

    .venv/bin/python -m tests.screenshots http://127.0.0.1:8000
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from playwright.async_api import Page, async_playwright

from aperture.seed import DEMO_PASSWORD, DEMO_USERNAME
from tests.browser import CHROMIUM_ARGS, DESKTOP, PHONE, chromium_path

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
PAGES = [
    ("home", "", "post"),
    ("post", "#/p/{post}", "likers"),
    ("profile", "#/u/natgeo_demo", "grid-tile"),
    ("tag", "#/tag/sunset", "grid-tile"),
    ("search", "#/search", "suggested"),
    ("notifications", "#/notifications", "notification"),
]


async def capture(page: Page, base: str, size_name: str) -> None:
    await page.goto(f"{base}/")
    await page.get_by_test_id("auth-username").fill(DEMO_USERNAME)
    await page.get_by_test_id("auth-password").fill(DEMO_PASSWORD)
    await page.screenshot(path=OUT / f"sign-in-{size_name}.png")
    await page.get_by_test_id("auth-submit").click()
    await page.get_by_test_id("post").first.wait_for()
    post = await page.get_by_test_id("post").nth(2).get_attribute("data-post-id")
    for name, route, ready in PAGES:
        if name == "notifications":
            continue  # taken last: opening it marks everything read
        await page.goto(f"{base}/{route.format(post=post)}")
        await page.get_by_test_id(ready).first.wait_for()
        await page.wait_for_timeout(1200)  # images fade in
        await page.screenshot(path=OUT / f"{name}-{size_name}.png")


async def main(base: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        for size_name, size in (("1280", DESKTOP), ("390", PHONE)):
            context = await browser.new_context(viewport=size, device_scale_factor=1)  # type: ignore[arg-type]
            await capture(await context.new_page(), base, size_name)
            await context.close()
        for size_name, size in (("1280", DESKTOP), ("390", PHONE)):
            context = await browser.new_context(viewport=size, color_scheme="dark")  # type: ignore[arg-type]
            page = await context.new_page()
            await page.goto(f"{base}/")
            await page.get_by_test_id("auth-username").fill(DEMO_USERNAME)
            await page.get_by_test_id("auth-password").fill(DEMO_PASSWORD)
            await page.get_by_test_id("auth-submit").click()
            await page.get_by_test_id("post").first.wait_for()
            await page.wait_for_timeout(1200)
            await page.screenshot(path=OUT / f"home-dark-{size_name}.png")
            await page.goto(f"{base}/#/notifications")
            await page.get_by_test_id("notification").first.wait_for()
            await page.screenshot(path=OUT / f"notifications-{size_name}.png")
            await context.close()
        await browser.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"))
