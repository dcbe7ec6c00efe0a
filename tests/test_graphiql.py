"""GraphiQL works with no internet access: every asset is local and integrity-checked."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import TYPE_CHECKING

from playwright.async_api import async_playwright

from tests.browser import CHROMIUM_ARGS, chromium_path, offline_page

if TYPE_CHECKING:
    import httpx


async def test_graphiql_page_references_only_local_assets(http: httpx.AsyncClient) -> None:
    page = await http.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "unpkg" not in page.text
    references = re.findall(r'(?:src|href)="([^"]+)" integrity="([^"]+)"', page.text)
    assert len(references) == 6
    for url, integrity in references:
        assert url.startswith(str(http.base_url)), url
        asset = await http.get(url)
        assert asset.status_code == 200, url
        digest = base64.b64encode(hashlib.sha384(asset.content).digest()).decode()
        assert integrity == f"sha384-{digest}", url


async def test_graphiql_renders_and_runs_a_query_offline(server_url: str) -> None:
    external: list[str] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            page = await offline_page(browser, external)
            await page.goto(f"{server_url}/graphql")
            await page.wait_for_selector(".graphiql-container .graphiql-query-editor", timeout=20_000)
            await page.click(".graphiql-execute-button")
            # The default query signs in as the demo user, who does not exist in this test database
            result = page.locator(".graphiql-response")
            await result.get_by_text("INVALID_CREDENTIALS").wait_for(timeout=20_000)
            assert await page.locator("text=Headers").count() >= 1
        finally:
            await browser.close()
    assert external == []
