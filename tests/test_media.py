"""The media pipeline end to end: presigned upload, checks at createPost, variants, CDN origin."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from wand.image import Image

from resolvers.global_ids import parse_global_id
from services.foundation.blobs import LocalBlobStore
from services.foundation.clock import utc_now
from services.media.job_names import MediaJob
from services.media.processing import RetryLater
from tests import media_files
from tests.helpers import (
    DELETE_POST,
    REQUEST_UPLOAD,
    Api,
    create_media_post,
    create_post,
    follow,
    send_upload,
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


async def original_key(services: Services, upload_id: str) -> str:
    document = await services.stores.db["uploads"].find_one({"_id": parse_global_id(upload_id)[1]})
    assert document is not None
    key: str = document["key"]
    return key


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


@pytest.mark.parametrize(
    ("content_type", "size", "code"),
    [
        ("image/bmp", 100, "UNSUPPORTED_MEDIA_TYPE"),
        ("application/pdf", 100, "UNSUPPORTED_MEDIA_TYPE"),
        ("image/jpeg", 31 * 1024 * 1024, "FILE_TOO_LARGE"),
        ("video/mp4", 600 * 1024 * 1024, "FILE_TOO_LARGE"),
        ("image/png", 0, "INVALID_INPUT"),
    ],
)
async def test_request_upload_rejects(api: Api, content_type: str, size: int, code: str) -> None:
    user = await api.new_user()
    payload = (await api.gql(REQUEST_UPLOAD, {"t": content_type, "n": size}, token=user.token))[
        "requestUpload"
    ]
    assert payload["upload"] is None
    assert payload["errors"][0]["code"] == code


async def test_create_post_checks_every_upload(api: Api, http: httpx.AsyncClient, services: Services) -> None:
    author = await api.new_user("author")
    other = await api.new_user("other")
    jpeg = media_files.image_bytes("jpeg")

    async def codes(media: list[dict[str, str]], user: Any = author) -> list[str]:
        payload = await create_media_post(api, user, media)
        assert payload["post"] is None
        return [error["code"] for error in payload["errors"]]

    from resolvers.global_ids import to_global_id

    assert await codes([{"uploadId": to_global_id("Upload", 12345)}]) == ["UPLOAD_NOT_FOUND"]
    assert await codes([{"uploadId": "not-an-id"}]) == ["INVALID_ID"]
    theirs = await upload(api, other, jpeg, "image/jpeg")
    assert await codes([{"uploadId": theirs}]) == ["UPLOAD_NOT_FOUND"]
    # Asked for a target but never sent the bytes
    pending = (await api.gql(REQUEST_UPLOAD, {"t": "image/jpeg", "n": len(jpeg)}, token=author.token))[
        "requestUpload"
    ]["upload"]["id"]
    assert await codes([{"uploadId": pending}]) == ["UPLOAD_INCOMPLETE"]
    # Declared one size, sent fewer bytes (the local target, like S3 servers here, took them)
    short = (await api.gql(REQUEST_UPLOAD, {"t": "image/jpeg", "n": len(jpeg) + 10}, token=author.token))[
        "requestUpload"
    ]["upload"]
    await send_upload(http, short["target"], jpeg, "image/jpeg")
    assert await codes([{"uploadId": short["id"]}]) == ["UPLOAD_MISMATCH"]
    assert await codes([]) == ["TOO_MANY_MEDIA"]
    many = [{"uploadId": await upload(api, author, jpeg, "image/jpeg")} for _ in range(11)]
    assert await codes(many) == ["TOO_MANY_MEDIA"]
    good = many[0]["uploadId"]
    assert await codes([{"uploadId": good}, {"uploadId": good}]) == ["INVALID_INPUT"]
    assert await codes([{"uploadId": good, "altText": "a" * 1001}]) == ["TEXT_TOO_LONG"]
    # None of the refusals consumed an upload or wrote a post
    assert await services.stores.db["posts"].count_documents({}) == 0
    first = await create_media_post(api, author, [{"uploadId": good}])
    assert first["errors"] == []
    assert await codes([{"uploadId": good}]) == ["UPLOAD_ALREADY_USED"]


async def test_a_failed_caption_check_releases_the_uploads(api: Api, services: Services) -> None:
    author = await api.new_user()
    upload_id = await upload(api, author, media_files.image_bytes("jpeg"), "image/jpeg")
    refused = await create_media_post(api, author, [{"uploadId": upload_id}], "x" * 2201)
    assert [e["code"] for e in refused["errors"]] == ["TEXT_TOO_LONG"]
    accepted = await create_media_post(api, author, [{"uploadId": upload_id}], "ok")
    assert accepted["errors"] == []
    assert await services.stores.db["posts"].count_documents({}) == 1


async def test_concurrent_posts_cannot_share_an_upload(api: Api, services: Services) -> None:
    author = await api.new_user()
    upload_id = await upload(api, author, media_files.image_bytes("jpeg"), "image/jpeg")
    results = await asyncio.gather(
        *(create_media_post(api, author, [{"uploadId": upload_id}]) for _ in range(4))
    )
    assert sum(1 for r in results if r["post"]) == 1
    assert await services.stores.db["posts"].count_documents({}) == 1


async def test_local_upload_target_enforces_its_signature(api: Api, http: httpx.AsyncClient) -> None:
    user = await api.new_user()
    jpeg = media_files.image_bytes("jpeg")
    target = (await api.gql(REQUEST_UPLOAD, {"t": "image/jpeg", "n": len(jpeg)}, token=user.token))[
        "requestUpload"
    ]["upload"]["target"]
    url = target["url"]
    assert (await http.put(url.replace("signature=", "signature=x"), content=jpeg,
                           headers={"Content-Type": "image/jpeg"})).status_code == 403  # fmt: skip
    assert (await http.put(url.replace("maxBytes=", "maxBytes=9"), content=jpeg,
                           headers={"Content-Type": "image/jpeg"})).status_code == 403  # fmt: skip
    assert (await http.put(url, content=jpeg, headers={"Content-Type": "image/png"})).status_code == 415
    too_big = b"\xff" * (30 * 1024 * 1024 + 1)
    assert (await http.put(url, content=too_big, headers={"Content-Type": "image/jpeg"})).status_code == 413
    assert (await http.put(url, content=jpeg, headers={"Content-Type": "image/jpeg"})).status_code == 204


HOSTILE: list[tuple[str, Callable[[Path], bytes], str, str, str]] = [
    ("bomb", lambda _: media_files.png_bomb(), "image/png", "the image is 60000x60000", "DIMENSIONS_TOO_LARGE"),
    ("truncated", lambda _: media_files.jpeg_with_exif()[:30_000], "image/jpeg", "corrupt or truncated", "TRUNCATED"),
    ("mislabelled", lambda _: media_files.image_bytes("png"), "image/jpeg", "is image/png, not the declared image/jpeg", "WRONG_TYPE"),
    ("not an image", lambda _: b"<svg xmlns='http://www.w3.org/2000/svg'/>" * 10, "image/png", "not a supported format", "WRONG_TYPE"),
    ("endless video", lambda d: media_files.video(d / "long.mp4", seconds=400, size="32x32", rate=1, audio=False),
     "video/mp4", "longer than the limit of 180 s", "TOO_LONG"),
    # Its index (at the front) declares 6 s; half the samples are missing
    ("faststart video cut in half", lambda d: media_files.faststart_video_cut_in_half(d / "cut.mp4"),
     "video/mp4", "it declares 6.0 s but holds 2.", "TRUNCATED"),
    # Its headers declare 5 s over 20 minutes of samples
    ("video whose header lies", lambda d: media_files.video_declaring(d / "liar.mp4", 5, 1200),
     "video/mp4", "longer than the limit of 180 s", "TOO_LONG"),
]  # fmt: skip


async def test_hostile_files_fail_with_a_reason_and_the_worker_keeps_going(
    api: Api, run_jobs: RunJobs, services: Services, tmp_path: Path
) -> None:
    author = await api.new_user("attacker")
    posts = []
    for _, make, content_type, _, _ in HOSTILE:
        upload_id = await upload(api, author, make(tmp_path), content_type)
        posts.append((await create_media_post(api, author, [{"uploadId": upload_id}]))["post"]["id"])
    good_upload = await upload(api, author, media_files.image_bytes("jpeg"), "image/jpeg")
    good = (await create_media_post(api, author, [{"uploadId": good_upload}]))["post"]["id"]
    await run_jobs()
    for post_id, (name, _, _, reason, code) in zip(posts, HOSTILE, strict=True):
        post = await read_post(api, post_id, author.token)
        media = post["media"][0]
        assert (post["state"], media["state"]) == ("FAILED", "FAILED"), (name, media)
        assert reason in media["failureReason"], (name, media["failureReason"])
        assert media["failureCode"] == code, (name, media["failureCode"])
        assert media["medium"] is None, "nothing from a failed item is ever served"
        assert media["hlsUrl"] is None
    assert (await read_post(api, good, author.token))["state"] == "VISIBLE"
    for post_id in posts:
        stored = services.settings.data_dir / "blobs" / "media" / str(parse_global_id(post_id)[1])
        assert not list(stored.glob("**/*.*"))


async def test_a_phone_video_is_reported_as_displayed(
    api: Api, http: httpx.AsyncClient, run_jobs: RunJobs, tmp_path: Path
) -> None:
    """A 320x240 recording with a 90° display matrix is shown upright, 240 wide and 320 high."""
    author = await api.new_user()
    clip = media_files.rotated_video(tmp_path / "phone.mp4", rotation=90)
    upload_id = await upload(api, author, clip, "video/mp4")
    post = (await create_media_post(api, author, [{"uploadId": upload_id}]))["post"]
    await run_jobs()
    media = (await read_post(api, post["id"], author.token))["media"][0]
    assert media["state"] == "READY", media
    assert (media["width"], media["height"]) == (240, 320)
    master = (await http.get(media["hlsUrl"])).text
    assert "RESOLUTION=240x320" in master, master
    assert "RESOLUTION=120x160" in master, "the ladder steps the short side, as for landscape"
    with Image(blob=(await http.get(media["posterUrl"])).content) as poster:
        assert (poster.width, poster.height) == (240, 320)


async def test_processing_time_limit(tmp_path: Path) -> None:
    from processing.errors import MediaRejected
    from processing.pool import run_in_fresh_process
    from processing.sandbox import ProcessingOptions

    clip = tmp_path / "clip.mp4"
    media_files.video(clip, seconds=20, size="1280x720")
    with pytest.raises(MediaRejected, match=r"took longer than 0\.5 s"):
        await run_in_fresh_process(
            "video", clip, tmp_path / "out", "video/mp4", ProcessingOptions(timeout_s=0.5)
        )


async def test_imagemagick_policy_refuses_other_coders(tmp_path: Path) -> None:
    import sys

    from processing.sandbox import child_environment

    svg = tmp_path / "x.svg"
    svg.write_text("<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'/>")
    script = (
        "from wand.image import Image\n"
        f"try:\n    Image(filename='svg:{svg}')\nexcept Exception as exc:\n    print('refused', exc)\n"
        "else:\n    print('read')\n"
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", script, env=child_environment(), stdout=asyncio.subprocess.PIPE
    )
    stdout, _ = await process.communicate()
    assert stdout.decode().startswith("refused"), stdout


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


async def test_unclaimed_uploads_are_deleted_after_their_deadline(
    api: Api, services: Services, run_jobs: RunJobs
) -> None:
    author = await api.new_user()
    blobs = services.stores.blobs
    uploads = services.stores.db["uploads"]
    photo = media_files.image_bytes("png", 320, 240)
    abandoned, fresh, used = [await upload(api, author, photo, "image/png") for _ in range(3)]
    assert (await create_media_post(api, author, [{"uploadId": used}]))["post"]["state"] == "PROCESSING"
    keys = {name: await original_key(services, upload_id) for name, upload_id in
            (("abandoned", abandoned), ("fresh", fresh), ("used", used))}  # fmt: skip
    await uploads.update_one(
        {"_id": parse_global_id(abandoned)[1]}, {"$set": {"expires_at": utc_now() - timedelta(minutes=1)}}
    )
    await services.queue.enqueue(MediaJob.EXPIRE_UPLOADS)
    await run_jobs()
    assert await blobs.head(keys["abandoned"]) is None
    assert await uploads.count_documents({"_id": parse_global_id(abandoned)[1]}) == 0
    for name in ("fresh", "used"):
        assert await blobs.head(keys[name]) is not None, name
    assert await uploads.count_documents({}) == 2
    late = await create_media_post(api, author, [{"uploadId": abandoned}])
    assert [error["code"] for error in late["errors"]] == ["UPLOAD_NOT_FOUND"]
