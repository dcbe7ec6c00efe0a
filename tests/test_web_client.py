"""The web client at / driven end to end in headless Chromium, with the internet cut off.

Two people: an author who signs up through the UI, and a fan (created through the API) who
signs in through the UI. The fan follows the author from the profile page; the author
publishes two photos through the upload flow; the post reaches the fan's open feed live; a
like updates the counts on both pages; an unfollow takes the post out of the fan's open feed live.
Every stage is saved as a screenshot in tests/artifacts/web/.
"""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from playwright.async_api import Browser, Locator, Page, async_playwright, expect

from tests.browser import CHROMIUM_ARGS, chromium_path, offline_page
from tests.helpers import PASSWORD, UNFOLLOW, Api
from tests.media_files import image_bytes

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    RunJobs = Callable[[], Awaitable[int]]

ARTIFACTS = Path(__file__).parent / "artifacts" / "web"
SECOND = 1000  # Playwright timeouts are in milliseconds


async def shot(page: Page, name: str) -> None:
    await page.screenshot(path=ARTIFACTS / f"{name}.png", animations="disabled")


async def with_jobs(run_jobs: RunJobs, locator: Locator, timeout_s: float = 30) -> None:
    """Drain the job queue until `locator` is visible: processing and fan-out run only in jobs."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not await locator.is_visible():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {locator}"
        await run_jobs()
        await asyncio.sleep(0.2)


async def open_page(browser: Browser, external: list[str], errors: list[str]) -> Page:
    page = await offline_page(browser, external)
    await page.set_viewport_size({"width": 900, "height": 1000})
    page.on("pageerror", lambda error: errors.append(str(error)))
    return page


async def sign_in(page: Page, server_url: str, username: str, password: str) -> None:
    await page.goto(f"{server_url}/")
    await page.get_by_test_id("auth-username").fill(username)
    await page.get_by_test_id("auth-password").fill(password)
    await page.get_by_test_id("auth-submit").click()


async def test_two_people_follow_post_live_like_and_unfollow(
    server_url: str, api: Api, run_jobs: RunJobs, tmp_path: Path
) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    fan = await api.new_user("fan")
    author = f"painter{secrets.token_hex(3)}"
    photos = []
    for index, color in enumerate(("#d9480f", "#1c7ed6")):
        path = tmp_path / f"photo{index}.jpg"
        path.write_bytes(image_bytes("jpeg", 800, 600, color=color))
        photos.append(path)
    caption = "Two colours, one post #test"
    external: list[str] = []
    errors: list[str] = []

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            # Two contexts, so each page has its own sessionStorage token
            writer = await open_page(browser, external, errors)
            reader = await open_page(browser, external, errors)

            # The author creates an account through the sign-up form
            await writer.goto(f"{server_url}/")
            await writer.get_by_test_id("tab-sign-up").click()
            await writer.get_by_test_id("auth-username").fill(author)
            await writer.get_by_test_id("auth-display-name").fill("Pat Painter")
            await writer.get_by_test_id("auth-password").fill(PASSWORD)
            await writer.get_by_test_id("auth-submit").click()
            await expect(writer.get_by_test_id("my-profile")).to_have_text(f"@{author}")
            await expect(writer.get_by_test_id("live-status")).to_have_text("Live")
            await expect(writer.get_by_test_id("feed-end")).to_contain_text("Your feed is empty")
            await shot(writer, "01-author-signed-up")

            # The fan signs in, opens the author's profile and follows
            await sign_in(reader, server_url, fan.username, PASSWORD)
            await expect(reader.get_by_test_id("feed-end")).to_contain_text("Your feed is empty")
            await shot(reader, "02-fan-signed-in")
            await reader.goto(f"{server_url}/#/u/{author}")
            await expect(reader.get_by_test_id("profile")).to_contain_text("Pat Painter")
            follow = reader.get_by_test_id("follow-button")
            await expect(follow).to_have_text("Follow")
            await follow.click()
            await expect(follow).to_have_text("Unfollow")
            await expect(reader.get_by_test_id("follower-count")).to_have_text("1")
            await shot(reader, "03-fan-follows-author")
            # Back to the home feed, which holds the live subscription
            await reader.get_by_role("link", name="Aperture").click()
            await expect(reader.get_by_test_id("feed-end")).to_contain_text("Your feed is empty")
            await expect(reader.get_by_test_id("live-status")).to_have_text("Live")

            # The author uploads two photos straight to the presigned targets, then waits for processing
            await writer.get_by_test_id("new-post").click()
            await writer.get_by_test_id("composer-files").set_input_files(photos)
            await expect(writer.get_by_test_id("upload-item")).to_have_count(2)
            await writer.get_by_test_id("composer-alt").nth(0).fill("An orange square")
            await writer.get_by_test_id("composer-alt").nth(1).fill("A blue square")
            await writer.get_by_test_id("composer-caption").fill(caption)
            await writer.get_by_test_id("composer-submit").click()
            status = writer.get_by_test_id("composer-status")
            await expect(status).to_contain_text("Processing", timeout=15 * SECOND)
            for bar in await writer.get_by_test_id("upload-progress").all():
                assert await bar.evaluate("bar => bar.value") == 1
            await shot(writer, "04-author-upload-processing")
            # Media processing is a job: the client polls post(id) until the post is VISIBLE
            await with_jobs(run_jobs, writer.get_by_text("Posted", exact=True))
            await expect(writer.get_by_test_id("composer")).to_be_hidden()
            mine = writer.get_by_test_id("post").filter(has_text=caption)
            await expect(mine).to_have_count(1)

            # LIVE: fan-out (another job) pushes POST_ADDED to the fan's open feed: a "new posts" pill
            pill = reader.get_by_test_id("new-posts-pill")
            await with_jobs(run_jobs, pill)
            await expect(pill).to_have_text("↑ 1 new post")
            await shot(reader, "05-fan-new-post-pill")
            await pill.click()
            await expect(pill).to_be_hidden()
            post = reader.get_by_test_id("post").filter(has_text=caption)
            await expect(post).to_have_count(1)
            await expect(post.get_by_test_id("post-author")).to_have_text(author)
            await expect(post.get_by_test_id("carousel-position")).to_have_text("1 / 2")
            first_image = post.get_by_test_id("post-image").nth(0)
            await expect(first_image).to_have_attribute("alt", "An orange square")
            await expect(post.locator(".slide.loaded")).to_have_count(1)  # the medium variant arrived
            # Blurhash placeholders were decoded (a blank canvas is transparent)
            placeholders = post.locator("canvas.blurhash")
            await expect(placeholders).to_have_count(2)
            for canvas in await placeholders.all():
                assert (
                    await canvas.evaluate("c => c.getContext('2d').getImageData(16, 16, 1, 1).data[3]") == 255
                )
            await post.get_by_test_id("carousel-next").click()
            await expect(post.get_by_test_id("carousel-position")).to_have_text("2 / 2")
            await expect(post.get_by_test_id("post-image").nth(1)).to_have_attribute("alt", "A blue square")
            await expect(post.locator(".slide.loaded")).to_have_count(2)
            await shot(reader, "06-fan-sees-post-live")

            # The fan likes it. The fan's count comes from the mutation's answer; the author's page
            # updates LIVE through its postUpdates subscription for the posts on screen.
            await expect(mine.get_by_test_id("like-count")).to_have_text("0")
            await post.get_by_test_id("like-button").click()
            await expect(post.get_by_test_id("like-button")).to_have_attribute("aria-pressed", "true")
            await expect(post.get_by_test_id("like-count")).to_have_text("1")
            await expect(mine.get_by_test_id("like-count")).to_have_text("1", timeout=10 * SECOND)
            await post.get_by_test_id("comment-input").fill("Lovely colours")
            await post.get_by_test_id("comment-submit").click()
            await expect(post.get_by_test_id("comment")).to_have_text(f"{fan.username} Lovely colours")
            await expect(mine.get_by_test_id("comment-count")).to_have_text("1", timeout=10 * SECOND)
            await shot(reader, "07-fan-liked-and-commented")
            await shot(writer, "08-author-sees-counts-live")

            # The fan unfollows from another device while this feed is open: the API streams
            # AUTHOR_REMOVED and the author's post leaves the open feed LIVE, without a reload
            author_id = await post.get_attribute("data-author-id")
            assert author_id
            unfollowed = await api.gql(UNFOLLOW, {"u": author_id}, token=fan.token)
            assert unfollowed["unfollow"]["changed"] is True
            await expect(reader.get_by_test_id("post")).to_have_count(0, timeout=10 * SECOND)
            await shot(reader, "09-fan-unfollowed")
            # The profile page agrees, and its button follows and unfollows again
            await reader.goto(f"{server_url}/#/u/{author}")
            await expect(follow).to_have_text("Follow")
            await expect(reader.get_by_test_id("follower-count")).to_have_text("0")
            await follow.click()
            await expect(follow).to_have_text("Unfollow")
            await follow.click()
            await expect(follow).to_have_text("Follow")
            await run_jobs()  # removes the author's posts from the fan's stored feed
            await reader.get_by_role("link", name="Aperture").click()
            await expect(reader.get_by_test_id("feed-end")).to_contain_text("Your feed is empty")
            await expect(reader.get_by_test_id("post")).to_have_count(0)
        finally:
            await browser.close()

    assert external == [], "the client must not reach beyond the server"
    assert errors == []
