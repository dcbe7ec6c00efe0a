"""The media pipeline end to end: variants, CDN origin, deletes, carousels, storage outages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from wand.image import Image

from resolvers.global_ids import parse_global_id
from services.foundation.blobs import LocalBlobStore
from services.media.processing import RetryLater
from tests import media_files
from tests.helpers import (
    DELETE_POST,
    Api,
    create_media_post,
    create_post,
    follow,
    original_key,
    upload,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

    import httpx

    from services.container import Services

    RunJobs = Callable[[], Awaitable[int]]

POST_MEDIA = """query($id: ID!) { post(id: $id) { id state media {
  id type state failureReason failureCode altText width height blurhash durationSeconds
  thumb: url(size: THUMBNAIL) medium: url(size: MEDIUM) high: url(size: HIGH) jpeg: url(size: MEDIUM, format: JPEG)
  hlsUrl posterUrl
} } }"""


async def read_post(api: Api, post_id: str, token: str) -> dict[str, Any]:
    post: dict[str, Any] = (await api.gql(POST_MEDIA, {"id": post_id}, token=token))["post"]
    return post


async def test_photo_is_oriented_stripped_and_served_as_variants(
    api: Api, http: httpx.AsyncClient, run_jobs: RunJobs, services: Services
) -> None:
    author = await api.new_user("photographer")
    photo = media_files.jpeg_with_exif(1600, 1200, orientation=6)
    upload_id = await upload(api, author, photo, "image/jpeg")
    payload = await create_media_post(
        api, author, [{"uploadId": upload_id, "altText": "A red sky"}], "#sunset"
    )
    assert payload["errors"] == []
    post = payload["post"]
    assert post["state"] == "PROCESSING"
    assert post["media"][0]["state"] == "PROCESSING"
    # Not visible to others until its media is ready
    stranger = await api.new_user("stranger")
    assert (await api.post(POST_MEDIA, {"id": post["id"]}, token=stranger.token)).json()["errors"][0][
        "extensions"
    ]["code"] == "NOT_FOUND"

    await run_jobs()
    ready = await read_post(api, post["id"], stranger.token)
    assert ready["state"] == "VISIBLE"
    media = ready["media"][0]
    assert media["state"] == "READY"
    assert media["type"] == "IMAGE"
    assert media["altText"] == "A red sky"
    assert (media["width"], media["height"]) == (1200, 1600), "EXIF orientation 6 turns it to portrait"
    assert media["blurhash"]
    assert len(media["blurhash"]) >= 6
    base = str(http.base_url)
    for size in ("thumb", "medium", "high", "jpeg"):
        assert media[size].startswith(f"{base}/media/{parse_global_id(post['id'])[1]}/")

    expected = {"thumb": (320, 320), "medium": (810, 1080), "high": (1200, 1600), "jpeg": (810, 1080)}
    for size, dimensions in expected.items():
        response = await http.get(media[size])
        assert response.status_code == 200
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert response.headers["etag"]
        with Image(blob=response.content) as variant:
            assert (variant.width, variant.height) == dimensions
            assert variant.format == ("JPEG" if size == "jpeg" else "WEBP")
            assert not [key for key in variant.metadata if key.startswith("exif:")], "no EXIF, GPS included"
    assert b"TestCam" not in (await http.get(media["jpeg"])).content
    assert media["hlsUrl"] is None


async def test_origin_answers_range_and_conditional_requests(
    api: Api, http: httpx.AsyncClient, run_jobs: RunJobs
) -> None:
    author = await api.new_user()
    upload_id = await upload(api, author, media_files.image_bytes("png", 800, 600), "image/png")
    post = (await create_media_post(api, author, [{"uploadId": upload_id}]))["post"]
    await run_jobs()
    url = (await read_post(api, post["id"], author.token))["media"][0]["high"]
    full = await http.get(url)
    partial = await http.get(url, headers={"Range": "bytes=0-99"})
    assert partial.status_code == 206
    assert partial.content == full.content[:100]
    assert partial.headers["content-range"].startswith("bytes 0-99/")
    revalidated = await http.get(url, headers={"If-None-Match": full.headers["etag"]})
    assert revalidated.status_code == 304


async def test_originals_are_never_served(api: Api, http: httpx.AsyncClient, services: Services) -> None:
    author = await api.new_user()
    original = media_files.image_bytes("jpeg")
    upload_id = await upload(api, author, original, "image/jpeg")
    document = await services.stores.db["uploads"].find_one({"_id": parse_global_id(upload_id)[1]})
    assert document is not None
    key = document["key"]
    assert key.startswith("uploads/")
    for path in (f"/media/{key}", f"/media/../{key}", f"/{key}", "/media/../uploads", "/media/%2e%2e/" + key):
        response = await http.get(path, follow_redirects=True)
        assert response.status_code in (404, 405), path
        assert original not in response.content


async def test_deleting_a_post_deletes_its_variants_and_originals(
    api: Api, http: httpx.AsyncClient, run_jobs: RunJobs, services: Services
) -> None:
    author = await api.new_user()
    blobs = services.stores.blobs
    uploads = [
        await upload(api, author, media_files.image_bytes("png", 640, 480), "image/png") for _ in range(3)
    ]
    doomed = (await create_media_post(api, author, [{"uploadId": uploads[0]}]))["post"]
    kept = (await create_media_post(api, author, [{"uploadId": uploads[1]}]))["post"]
    await run_jobs()
    url = (await read_post(api, doomed["id"], author.token))["media"][0]["high"]
    assert (await http.get(url)).status_code == 200
    doomed_number, kept_number = (parse_global_id(p["id"])[1] for p in (doomed, kept))
    assert await blobs.list_keys(f"media/{doomed_number}/")

    assert (await api.gql(DELETE_POST, {"id": doomed["id"]}, token=author.token))["deletePost"][
        "errors"
    ] == []
    await run_jobs()
    assert (await http.get(url)).status_code == 404
    assert await blobs.list_keys(f"media/{doomed_number}/") == []
    assert await blobs.head(await original_key(services, uploads[0])) is None
    # The author's other post keeps everything
    assert await blobs.list_keys(f"media/{kept_number}/")
    assert await blobs.head(await original_key(services, uploads[1])) is not None

    # Deleted before its media was processed: nothing is stored, nothing is left
    early = (await create_media_post(api, author, [{"uploadId": uploads[2]}]))["post"]
    await api.gql(DELETE_POST, {"id": early["id"]}, token=author.token)
    await run_jobs()
    assert await blobs.list_keys(f"media/{parse_global_id(early['id'])[1]}/") == []
    assert await blobs.head(await original_key(services, uploads[2])) is None


async def test_a_post_deleted_while_its_media_is_processed_leaves_no_variants(
    api: Api, services: Services
) -> None:
    author = await api.new_user()
    upload_id = await upload(api, author, media_files.image_bytes("png", 640, 480), "image/png")
    post = (await create_media_post(api, author, [{"uploadId": upload_id}]))["post"]
    number = parse_global_id(post["id"])[1]
    record = await services.posts.get(number)
    assert record is not None
    media = services.media
    publish = media._publish

    async def delete_then_publish(*args: Any) -> Any:
        # The author deletes the post after the variants were made, before they are stored,
        # and the purge job runs at once
        await api.gql(DELETE_POST, {"id": post["id"]}, token=author.token)
        assert await media.purge(number) == 1  # only the original existed yet
        return await publish(*args)

    media._publish = delete_then_publish  # type: ignore[method-assign,assignment]
    try:
        await media.process(number, record.media[0].id, 1)
    finally:
        del media._publish
    assert await services.stores.blobs.list_keys(f"media/{number}/") == []


async def test_carousel_of_image_kinds_and_a_video(
    api: Api, http: httpx.AsyncClient, run_jobs: RunJobs, tmp_path: Path
) -> None:
    author = await api.new_user("carousel")
    follower = await api.new_user("follower")
    await follow(api, follower, author)
    await api.gql("{ viewer { homeTimeline(first: 5) { edges { cursor } } } }", token=follower.token)
    files = [
        (media_files.image_bytes("png", 300, 200), "image/png"),
        (media_files.animated_gif(), "image/gif"),
        (media_files.image_bytes("webp", 500, 500), "image/webp"),
        (media_files.video(tmp_path / "clip.mp4", seconds=3), "video/mp4"),
    ]
    uploads = [{"uploadId": await upload(api, author, data, kind), "altText": kind} for data, kind in files]
    post = (await create_media_post(api, author, uploads, "four things"))["post"]
    home = "{ viewer { homeTimeline(first: 5) { edges { node { id } } } } }"
    assert (await api.gql(home, token=follower.token))["viewer"]["homeTimeline"]["edges"] == []
    await run_jobs()
    ready = await read_post(api, post["id"], follower.token)
    assert ready["state"] == "VISIBLE"
    assert [m["altText"] for m in ready["media"]] == [kind for _, kind in files], "order is kept"
    assert all(m["state"] == "READY" for m in ready["media"])
    gif = ready["media"][1]
    assert (gif["width"], gif["height"]) == (200, 120), "the GIF's first frame"
    clip = ready["media"][3]
    assert clip["type"] == "VIDEO"
    assert 2.5 <= clip["durationSeconds"] <= 3.5
    master = await http.get(clip["hlsUrl"])
    assert master.status_code == 200
    assert master.headers["content-type"].startswith("application/vnd.apple.mpegurl")
    assert "RESOLUTION=640x360" in master.text
    assert "RESOLUTION=1280x720" in master.text
    rendition_url = (
        clip["hlsUrl"].rsplit("/", 1)[0]
        + "/"
        + next(line for line in master.text.splitlines() if line.endswith(".m3u8"))
    )
    rendition = await http.get(rendition_url)
    segment_name = next(line for line in rendition.text.splitlines() if line.endswith(".ts"))
    segment = await http.get(rendition_url.rsplit("/", 1)[0] + "/" + segment_name)
    assert segment.status_code == 200
    assert segment.headers["content-type"] == "video/mp2t"
    poster = await http.get(clip["posterUrl"])
    with Image(blob=poster.content) as frame:
        assert (frame.width, frame.height) == (1280, 720)
    # Only now, with every item ready, did the post reach the follower's feed
    edges = (await api.gql(home, token=follower.token))["viewer"]["homeTimeline"]["edges"]
    assert [e["node"]["id"] for e in edges] == [post["id"]]


async def test_text_posts_still_work(api: Api) -> None:
    author = await api.new_user()
    assert await create_post(api, author, "words only")


async def test_a_storage_outage_is_retried_then_reported(api: Api, services: Services) -> None:
    author = await api.new_user()
    blobs = services.stores.blobs
    assert isinstance(blobs, LocalBlobStore)
    uploads = [
        await upload(api, author, media_files.image_bytes("png", 320, 240), "image/png") for _ in range(2)
    ]
    posts = [(await create_media_post(api, author, [{"uploadId": u}]))["post"] for u in uploads]
    numbers = [parse_global_id(post["id"])[1] for post in posts]
    records = [await services.posts.get(number) for number in numbers]
    originals = [blobs.path_for(await original_key(services, u)) for u in uploads]
    aside = [path.with_name(path.name + ".away") for path in originals]
    for original, away in zip(originals, aside, strict=True):
        original.rename(away)  # the store cannot serve the original for now

    # A transient outage: the job asks to be retried, and the retry succeeds
    first = records[0]
    assert first is not None
    with pytest.raises(RetryLater):
        await services.media.process(numbers[0], first.media[0].id, 1)
    aside[0].rename(originals[0])
    await services.media.process(numbers[0], first.media[0].id, 2)
    assert (await read_post(api, posts[0]["id"], author.token))["state"] == "VISIBLE"

    # An outage that outlasts the attempts: the item fails with a reason the author sees
    second = records[1]
    assert second is not None
    for attempt in (1, 2):
        with pytest.raises(RetryLater):
            await services.media.process(numbers[1], second.media[0].id, attempt)
    await services.media.process(numbers[1], second.media[0].id, 3)
    failed = await read_post(api, posts[1]["id"], author.token)
    assert failed["state"] == "FAILED"
    assert failed["media"][0]["failureReason"].startswith("storage unavailable")
