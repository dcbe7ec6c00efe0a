"""Privacy and safety in the web client: private accounts and follow requests, blocks, mutes and
reports, in headless Chromium against the session's real server, at desktop and phone sizes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from playwright.async_api import Browser, Page, expect

from tests.browser import PHONE, Watch, sign_in, watched_tab
from tests.helpers import PASSWORD, Api, TestUser, create_post, follow
from tests.web_data import relate

if TYPE_CHECKING:
    from playwright.async_api import Locator

HOME_IDS = "query { viewer { homeTimeline(first: 30) { edges { node { caption } } } } }"


async def is_focused(locator: Locator) -> bool:
    return bool(await locator.evaluate("el => el === document.activeElement"))


async def open_profile(page: Page, server_url: str, user: TestUser) -> None:
    await page.goto(f"{server_url}/#/u/{user.username}")
    await expect(page.get_by_test_id("profile-username")).to_contain_text(f"@{user.username}")


async def test_a_private_account_approves_a_request_and_the_follower_then_sees_the_grid(
    browser: Browser, server_url: str, api: Api
) -> None:
    watch = Watch()
    owner, reader = await api.new_user("owner"), await api.new_user("reader")
    await create_post(api, owner, "only for friends")
    mine = await watched_tab(browser, watch)
    await sign_in(mine, server_url, owner.username, PASSWORD, "#/settings")
    switch = mine.get_by_role("switch", name="Private account")
    await expect(switch).not_to_be_checked()
    await switch.check()
    await mine.get_by_test_id("settings-save").click()
    await expect(mine.get_by_test_id("private-badge")).to_have_text("Private")
    await mine.goto(f"{server_url}/#/settings")
    await expect(mine.get_by_role("switch", name="Private account")).to_be_checked()

    # The reader sees that it is private, not the grid or the lists; following asks instead
    theirs = await watched_tab(browser, watch)
    await sign_in(theirs, server_url, reader.username, PASSWORD)
    await open_profile(theirs, server_url, owner)
    await expect(theirs.get_by_test_id("private-notice")).to_contain_text("This account is private")
    await expect(theirs.get_by_test_id("grid")).to_have_count(0)
    await expect(theirs.get_by_test_id("followers-link")).to_have_count(0)
    button = theirs.get_by_test_id("follow-button")
    await button.click()
    await expect(button).to_have_text("Requested")
    await expect(theirs.get_by_test_id("toast")).to_contain_text("Follow request sent")
    # Selecting "Requested" withdraws it; asking again makes it pending once more
    await button.click()
    await expect(button).to_have_text("Follow")
    await mine.goto(f"{server_url}/#/requests")
    await expect(mine.get_by_test_id("feed-end")).to_have_text("No one is waiting for approval.")
    await button.click()
    await expect(button).to_have_text("Requested")
    await expect(theirs.get_by_test_id("private-notice")).to_contain_text("waiting for")
    await theirs.reload()
    await expect(theirs.get_by_test_id("follow-button")).to_have_text("Requested")
    await expect(theirs.get_by_test_id("private-notice")).to_contain_text("waiting for")

    # The owner finds the request from notifications (with its count) and approves it
    await mine.goto(f"{server_url}/#/notifications")
    link = mine.get_by_test_id("requests-link")
    await expect(link.get_by_test_id("request-count")).to_have_text("1 waiting")
    await link.click()
    person = mine.get_by_test_id("person")
    await expect(person).to_contain_text(reader.username)
    await person.get_by_role("button", name=f"Approve @{reader.username}").click()
    await expect(person.get_by_test_id("request-outcome")).to_have_text("Approved: now follows you")

    await theirs.reload()
    await expect(theirs.get_by_test_id("grid-tile")).to_have_count(1)
    await expect(theirs.get_by_test_id("follow-button")).to_have_text("Unfollow")
    await expect(theirs.get_by_test_id("private-notice")).to_have_count(0)
    watch.assert_clean()


async def test_blocking_from_the_more_menu_by_keyboard_ends_the_follow_and_hides_posts(
    browser: Browser, server_url: str, api: Api
) -> None:
    watch = Watch()
    blocker, pest = await api.new_user("blocker"), await api.new_user("pest")
    await create_post(api, blocker, "a quiet afternoon")
    await follow(api, pest, blocker)
    theirs = await watched_tab(browser, watch)
    await sign_in(theirs, server_url, pest.username, PASSWORD)
    await expect(theirs.get_by_test_id("post").filter(has_text="a quiet afternoon")).to_have_count(1)

    mine = await watched_tab(browser, watch)
    await sign_in(mine, server_url, blocker.username, PASSWORD)
    await open_profile(mine, server_url, pest)
    more = mine.get_by_role("button", name=f"More options for @{pest.username}")
    await expect(more).to_have_attribute("aria-expanded", "false")
    await more.focus()
    await mine.keyboard.press("Enter")
    await expect(more).to_have_attribute("aria-expanded", "true")
    block = mine.get_by_role("menuitem", name="Block")
    assert await is_focused(block), "the menu opens on its first item"
    await mine.keyboard.press("ArrowDown")
    assert await is_focused(mine.get_by_role("menuitem", name="Mute"))
    await mine.keyboard.press("ArrowUp")
    await mine.keyboard.press("Enter")
    await expect(mine.get_by_test_id("blocked-notice")).to_contain_text(f"You blocked @{pest.username}")
    await expect(mine.get_by_test_id("unblock-button")).to_be_focused()
    await expect(mine.get_by_test_id("follow-button")).to_have_count(0)

    # The blocked person no longer follows, and sees neither the blocker's posts nor profile
    await theirs.reload()
    await expect(theirs.get_by_test_id("feed-end")).to_be_visible()
    await expect(theirs.get_by_test_id("post").filter(has_text="a quiet afternoon")).to_have_count(0)
    await theirs.goto(f"{server_url}/#/u/{blocker.username}")
    await expect(theirs.locator("main")).to_contain_text(f"No one is called @{blocker.username}")
    await expect(theirs.get_by_test_id("grid-tile")).to_have_count(0)
    await open_profile(mine, server_url, blocker)
    await expect(mine.get_by_test_id("follower-count")).to_have_text("0")

    # The blocker's list of blocked accounts lifts it
    await mine.goto(f"{server_url}/#/settings/privacy")
    row = mine.get_by_test_id("blocked-list").get_by_test_id("person")
    await expect(row).to_contain_text(pest.username)
    await row.get_by_role("button", name=f"Unblock @{pest.username}").click()
    await expect(row).to_contain_text("Unblocked")
    await open_profile(mine, server_url, pest)
    await expect(mine.get_by_test_id("follow-button")).to_have_text("Follow")
    watch.assert_clean()


async def test_muting_clears_the_home_feed_and_reports_are_confirmed(
    browser: Browser, server_url: str, api: Api
) -> None:
    watch = Watch()
    reader, loud, friend = (
        await api.new_user("reader"),
        await api.new_user("loud"),
        await api.new_user("friend"),
    )
    await create_post(api, loud, "buy my course")
    await create_post(api, friend, "sunset from the pier")
    await follow(api, reader, loud)
    await follow(api, reader, friend)
    page = await watched_tab(browser, watch)
    await sign_in(page, server_url, reader.username, PASSWORD)
    cards = page.get_by_test_id("post")
    await expect(cards).to_have_count(2)

    await open_profile(page, server_url, loud)
    await page.get_by_role("button", name=f"More options for @{loud.username}").click()
    await page.get_by_role("menuitem", name="Mute").click()
    await expect(page.get_by_test_id("toast")).to_contain_text(f"You muted @{loud.username}")
    await page.get_by_test_id("nav-home").click()
    await expect(cards).to_have_count(1)
    await expect(cards).to_contain_text("sunset from the pier")
    await expect(page.get_by_test_id("follow-button")).to_have_count(0)
    home = (await api.gql(HOME_IDS, token=reader.token))["viewer"]["homeTimeline"]["edges"]
    assert [edge["node"]["caption"] for edge in home] == ["sunset from the pier"]

    # Report a post from its card's menu: a named dialog, focus on the reason, a confirmation
    more = cards.get_by_role("button", name=f"More options for this post by {friend.username}")
    await more.click()
    await page.get_by_role("menuitem", name="Report post").click()
    dialog = page.get_by_role("dialog", name="Report post")
    await expect(dialog).to_be_visible()
    reason = dialog.get_by_label("Reason")
    assert await is_focused(reason)
    await dialog.get_by_role("button", name="Send report").click()
    await expect(dialog).to_be_visible()  # a reason is required
    await reason.select_option("SPAM")
    await dialog.get_by_label("More details (optional)").fill("Posted five times today")
    await dialog.get_by_role("button", name="Send report").click()
    await expect(dialog.get_by_test_id("report-confirmation")).to_contain_text("Your report was sent")
    await dialog.get_by_role("button", name="Done").click()
    await expect(dialog).to_have_count(0)
    assert await is_focused(more), "focus returns to the menu button"
    # Reported once: a second report of the same post says so
    await more.click()
    await page.get_by_role("menuitem", name="Report post").click()
    await dialog.get_by_label("Reason").select_option("OTHER")
    await dialog.get_by_role("button", name="Send report").click()
    await expect(dialog.get_by_test_id("report-confirmation")).to_contain_text("already reported")
    await page.keyboard.press("Escape")
    await expect(dialog).to_have_count(0)

    # Report a person from their profile's menu
    await open_profile(page, server_url, friend)
    await page.get_by_role("button", name=f"More options for @{friend.username}").click()
    await page.get_by_role("menuitem", name="Report").click()
    person_dialog = page.get_by_role("dialog", name=f"Report @{friend.username}")
    await person_dialog.get_by_label("Reason").select_option("IMPERSONATION")
    await person_dialog.get_by_role("button", name="Send report").click()
    await expect(person_dialog.get_by_test_id("report-confirmation")).to_contain_text("Your report was sent")

    # The muted list lifts the mute, and the posts come back (leaving the page closes the dialog)
    await page.goto(f"{server_url}/#/settings/privacy")
    row = page.get_by_test_id("muted-list").get_by_test_id("person")
    await expect(row).to_contain_text(loud.username)
    await row.get_by_role("button", name=f"Unmute @{loud.username}").click()
    await expect(row).to_contain_text("Unmuted")
    await page.get_by_test_id("nav-home").click()
    await expect(cards).to_have_count(2)
    watch.assert_clean()


async def test_the_more_menu_and_the_report_dialog_fit_a_phone(
    browser: Browser, server_url: str, api: Api
) -> None:
    watch = Watch()
    me, other = await api.new_user("me"), await api.new_user("other")
    await relate(api, me, "mute", other)
    page = await watched_tab(browser, watch, PHONE)
    await sign_in(page, server_url, me.username, PASSWORD)
    await open_profile(page, server_url, other)
    more = page.get_by_role("button", name=f"More options for @{other.username}")
    await more.click()
    menu = page.get_by_role("menu")
    await expect(menu).to_be_visible()
    # It knows the mute made elsewhere, and stays on screen
    await expect(page.get_by_role("menuitem", name="Unmute")).to_be_visible()
    box = await menu.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= PHONE["width"]
    await page.keyboard.press("Escape")
    await expect(menu).to_be_hidden()
    assert await is_focused(more)
    # A tap elsewhere closes it too
    await more.click()
    await page.get_by_role("heading", level=1).click()
    await expect(menu).to_be_hidden()

    await more.click()
    await page.get_by_role("menuitem", name="Report").click()
    dialog = page.get_by_role("dialog", name=f"Report @{other.username}")
    await expect(dialog).to_be_visible()
    box = await dialog.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= PHONE["width"]
    await dialog.get_by_label("Reason").select_option("HARASSMENT")
    await dialog.get_by_role("button", name="Send report").click()
    await expect(dialog.get_by_test_id("report-confirmation")).to_be_visible()
    await dialog.get_by_role("button", name="Done").click()
    await expect(dialog).to_have_count(0)
    assert await is_focused(more)
    watch.assert_clean()
