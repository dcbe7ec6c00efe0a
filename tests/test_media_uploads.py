"""Uploads: presigned targets, the checks at createPost, claims, and expiry of unused uploads."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest

from resolvers.global_ids import parse_global_id
from services.foundation.clock import utc_now
from services.media.job_names import MediaJob
from tests import media_files
from tests.helpers import (
    REQUEST_UPLOAD,
    Api,
    create_media_post,
    original_key,
    send_upload,
    upload,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

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
