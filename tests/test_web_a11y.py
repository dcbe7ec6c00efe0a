"""Accessibility of every page of the web client: an axe-core audit with no serious or critical
violation, at phone and desktop sizes, in light and dark mode; and use by keyboard alone."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from playwright.async_api import Browser, Page, expect

from tests.a11y import audit
from tests.browser import DESKTOP, PHONE, Watch, sign_in, watched_tab
from tests.helpers import LIKE, PASSWORD, Api, follow
from tests.web_data import comment, describe, make_private, photo_post, relate

if TYPE_CHECKING:
    from tests.web_data import RunJobs

# Each page, and what shows that it has loaded
PAGES = [
    ("", "post"),
    ("#/p/{post}", "likers"),
    ("#/u/{me}", "grid-tile"),
    ("#/u/{me}/followers", "person"),
    ("#/tag/harbour", "grid-tile"),
    ("#/search", "suggested"),
    ("#/notifications", "notification"),
    ("#/settings", "settings-form"),
]


async def audit_into(page: Page, name: str, found: dict[str, Any]) -> None:
    violations = await audit(page)
    if violations:
        found[name] = violations


async def test_every_page_passes_the_axe_audit(
    browser: Browser, server_url: str, api: Api, run_jobs: RunJobs
) -> None:
    watch = Watch()
    me, fan = await api.new_user("me"), await api.new_user("fan")
    await describe(api, me, "Mo Example", "Film and coffee")
    post = await photo_post(api, me, run_jobs, "Morning at the #harbour", [(800, 1000), (1000, 523)])
    await follow(api, fan, me)
    await api.gql(LIKE, {"p": post}, token=fan.token)
    await comment(api, fan, post, f"Lovely, @{me.username}")
    await run_jobs()
    found: dict[str, Any] = {}
    # Dark mode: the colours change, so contrast is checked again (first, while the unread
    # badge shows: the notifications page marks them read)
    page = await watched_tab(browser, watch, DESKTOP)
    await page.emulate_media(color_scheme="dark")
    await sign_in(page, server_url, me.username, PASSWORD)
    await expect(page.get_by_test_id("unread-badge")).to_be_visible()
    for route, ready in PAGES[:3]:
        await page.goto(f"{server_url}/{route.format(post=post, me=me.username)}")
        await expect(page.get_by_test_id(ready).first).to_be_visible()
        await audit_into(page, f"{route or 'home'} dark", found)
    await page.close()
    for size_name, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page = await watched_tab(browser, watch, size)
        await page.goto(f"{server_url}/")
        await expect(page.get_by_test_id("auth-form")).to_be_visible()
        await audit_into(page, f"sign-in {size_name}", found)
        await sign_in(page, server_url, me.username, PASSWORD)
        for route, ready in PAGES:
            await page.goto(f"{server_url}/{route.format(post=post, me=me.username)}")
            await expect(page.get_by_test_id(ready).first).to_be_visible()
            await audit_into(page, f"{route or 'home'} {size_name}", found)
        await page.get_by_role("button", name="New post").click()
        await expect(page.get_by_test_id("composer")).to_be_visible()
        await audit_into(page, f"composer {size_name}", found)
        await page.close()
    assert found == {}, json.dumps(found, indent=1)
    watch.assert_clean()


async def test_keyboard_alone_likes_comments_and_moves_around(
    browser: Browser, server_url: str, api: Api, run_jobs: RunJobs
) -> None:
    watch = Watch()
    me = await api.new_user("me")
    await photo_post(api, me, run_jobs, "keyboard", [(600, 600), (600, 600)])
    page = await watched_tab(browser, watch)
    await page.goto(f"{server_url}/")
    await page.get_by_test_id("auth-username").focus()
    await page.keyboard.type(me.username)
    await page.keyboard.press("Tab")
    focused = await page.evaluate("document.activeElement.name")
    assert focused == "password", focused
    await page.keyboard.type(PASSWORD)
    await page.keyboard.press("Enter")
    card = page.get_by_test_id("post")
    await expect(card).to_have_count(1)

    # Tab reaches the like button, its focus is visible, and Enter likes
    like = card.get_by_test_id("like-button")
    for _ in range(40):
        await page.keyboard.press("Tab")
        if await like.evaluate("el => el === document.activeElement"):
            break
    else:
        raise AssertionError("Tab never reached the like button")
    outline = await like.evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline != "none", "focus must be visible"
    await page.keyboard.press("Enter")
    await expect(like).to_have_attribute("aria-pressed", "true")
    await page.keyboard.press("Shift+Tab")  # back to the carousel's next button
    await page.keyboard.press("Enter")
    await expect(card.get_by_test_id("carousel-position")).to_have_text("2 / 2")
    watch.assert_clean()


# The privacy and safety pages, as the owner of a private account, and what shows each has loaded
PRIVACY_PAGES = [
    ("#/requests", "person"),
    ("#/settings/privacy", "person"),
    ("#/u/{me}", "request-count"),
    ("#/notifications", "request-count"),
    ("#/u/{hidden}", "private-notice"),
    ("#/u/{pest}", "blocked-notice"),
]


async def test_privacy_pages_menus_and_the_report_dialog_pass_the_axe_audit(
    browser: Browser, server_url: str, api: Api, run_jobs: RunJobs
) -> None:
    watch = Watch()
    me, asker, pest, bore, hidden, friend = [
        await api.new_user(prefix) for prefix in ("me", "asker", "pest", "bore", "hidden", "friend")
    ]
    await make_private(api, me)
    await make_private(api, hidden)
    await relate(api, asker, "follow", me)
    await relate(api, me, "block", pest)
    await relate(api, me, "mute", bore)
    await follow(api, me, friend)
    await photo_post(api, friend, run_jobs, "Low tide", [(800, 800)])
    names = {"me": me.username, "hidden": hidden.username, "pest": pest.username}
    found: dict[str, Any] = {}
    for size_name, size, scheme in (
        ("desktop", DESKTOP, "light"),
        ("phone", PHONE, "light"),
        ("dark", DESKTOP, "dark"),
    ):
        page = await watched_tab(browser, watch, size)
        await page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
        await sign_in(page, server_url, me.username, PASSWORD)
        for route, ready in PRIVACY_PAGES:
            await page.goto(f"{server_url}/{route.format(**names)}")
            await expect(page.get_by_test_id(ready).first).to_be_visible()
            await audit_into(page, f"{route} {size_name}", found)
        # A post card's menu, open
        await page.goto(f"{server_url}/")
        await page.get_by_test_id("post").get_by_test_id("more-button").click()
        await expect(page.get_by_role("menuitem", name="Report post")).to_be_visible()
        await audit_into(page, f"post menu {size_name}", found)
        # A profile's menu, open, and the report dialog it opens
        await page.goto(f"{server_url}/#/u/{friend.username}")
        await page.get_by_role("button", name=f"More options for @{friend.username}").click()
        await expect(page.get_by_role("menuitem", name="Block")).to_be_visible()
        await audit_into(page, f"profile menu {size_name}", found)
        await page.get_by_role("menuitem", name="Report").click()
        dialog = page.get_by_role("dialog", name=f"Report @{friend.username}")
        await expect(dialog).to_be_visible()
        await audit_into(page, f"report dialog {size_name}", found)
        await dialog.get_by_label("Reason").select_option("SPAM")
        await dialog.get_by_role("button", name="Send report").click()
        await expect(dialog.get_by_test_id("report-confirmation")).to_be_visible()
        await audit_into(page, f"report sent {size_name}", found)
        await page.close()
    assert found == {}, json.dumps(found, indent=1)
    watch.assert_clean()
