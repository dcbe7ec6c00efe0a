"""The axe-core accessibility audit (vendored in tests/axe/), run inside a page."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.async_api import Page

AXE = Path(__file__).parent / "axe" / "axe.min.js"
# WCAG 2.1 A and AA, and axe's best practices (landmarks, headings, one main)
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
BLOCKING = {"serious", "critical"}


async def audit(page: Page) -> list[dict[str, Any]]:
    """The page's serious and critical violations, each with the rule, its help and the nodes."""
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.add_script_tag(path=AXE)
    result: dict[str, Any] = await page.evaluate(
        "tags => axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] })",
        TAGS,
    )
    return [
        {
            "rule": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "nodes": [node["target"] for node in violation["nodes"]][:5],
        }
        for violation in result["violations"]
        if violation["impact"] in BLOCKING
    ]
