"""The S3 code path, against moto's S3 server: presigned POST upload, variants, CDN URLs."""

from __future__ import annotations

import base64
import dataclasses
import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import boto3
import botocore.exceptions
import httpx
import pytest
from moto.server import ThreadedMotoServer

from aperture.settings import Settings
from jobs.worker import build_worker
from resolvers.global_ids import parse_global_id
from services.runtime import open_services
from tests import media_files
from tests.conftest import free_port, serving
from tests.helpers import DELETE_POST, REQUEST_UPLOAD, Api, create_media_post, send_upload, upload

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator
    from pathlib import Path

    from services.container import Services

BUCKET = "aperture-media"
CDN = "https://cdn.aperture.test"


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    client.create_bucket(Bucket=BUCKET)
    yield endpoint
    server.stop()


class S3Stack:
    def __init__(self, api: Api, services: Services, settings: Settings, endpoint: str) -> None:
        self.api = api
        self.services = services
        self.settings = settings
        self.s3 = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    async def run_jobs(self) -> None:
        worker = build_worker(self.settings, self.services, burst=True)
        try:
            await worker.async_run()
        finally:
            await worker.close()


@pytest.fixture
async def s3_stack(moto_endpoint: str, redis_url: str, tmp_path: Path) -> AsyncIterator[S3Stack]:
    separator = "&" if "?" in redis_url else "?"
    port = free_port()
    settings = Settings(
        port=port,
        data_dir=tmp_path,
        mongodb_url=f"litemongo+memory://s3-{port}",
        redis_url=f"{redis_url}{separator}db=2"
        if redis_url.startswith("unix://")
        else redis_url.rsplit("/", 1)[0] + "/2",
        s3_endpoint_url=moto_endpoint,
        s3_bucket=BUCKET,
        s3_access_key_id="test",
        s3_secret_access_key="test",
        cdn_base_url=CDN,
        argon2_time_cost=1,
        argon2_memory_kib=8192,
        log_format="text",
    )
    async with open_services(settings) as services:
        await services.stores.redis.flushdb()
        async with serving(settings, services) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
            yield S3Stack(Api(http), services, settings, moto_endpoint)
        await services.stores.redis.flushdb()


async def test_presigned_post_carries_the_conditions(s3_stack: S3Stack) -> None:
    user = await s3_stack.api.new_user()
    payload = (await s3_stack.api.gql(REQUEST_UPLOAD, {"t": "image/jpeg", "n": 1234}, token=user.token))[
        "requestUpload"
    ]
    target = payload["upload"]["target"]
    assert target["method"] == "POST"
    assert target["url"].startswith(s3_stack.settings.s3_endpoint_url)
    fields = {f["name"]: f["value"] for f in target["fields"]}
    assert fields["Content-Type"] == "image/jpeg"
    policy = json.loads(base64.b64decode(fields["policy"]))
    assert {"Content-Type": "image/jpeg"} in policy["conditions"]
    assert ["content-length-range", 1, 30 * 1024 * 1024] in policy["conditions"]
    assert "x-amz-signature" in fields


async def test_photo_through_s3_and_the_cdn(s3_stack: S3Stack) -> None:
    api = s3_stack.api
    author = await api.new_user()
    upload_id = await upload(api, author, media_files.jpeg_with_exif(800, 600, orientation=1), "image/jpeg")
    post = (await create_media_post(api, author, [{"uploadId": upload_id, "altText": "via S3"}]))["post"]
    assert post["state"] == "PROCESSING"
    await s3_stack.run_jobs()
    query = "query($id: ID!) { post(id: $id) { state media { state altText url(size: MEDIUM) posterUrl } } }"
    ready = (await api.gql(query, {"id": post["id"]}, token=author.token))["post"]
    media: dict[str, Any] = ready["media"][0]
    assert ready["state"] == "VISIBLE"
    assert media["state"] == "READY"
    post_number = parse_global_id(post["id"])[1]
    assert media["url"].startswith(f"{CDN}/media/{post_number}/")
    key = media["url"].removeprefix(f"{CDN}/")
    head = s3_stack.s3.head_object(Bucket=BUCKET, Key=key)
    assert head["ContentType"] == "image/webp"
    assert head["CacheControl"] == "public, max-age=31536000, immutable"
    listed = s3_stack.s3.list_objects_v2(Bucket=BUCKET, Prefix=f"media/{post_number}/")["Contents"]
    assert {item["Key"].rsplit("/", 1)[1] for item in listed} >= {
        "thumbnail.webp", "thumbnail.jpg", "medium.webp", "medium.jpg", "high.webp", "high.jpg",
    }  # fmt: skip
    # Deleting the post deletes its variants and its original from the bucket
    original = await s3_stack.services.stores.db["uploads"].find_one({"_id": parse_global_id(upload_id)[1]})
    assert original is not None
    assert s3_stack.s3.head_object(Bucket=BUCKET, Key=original["key"])
    deleted = await api.gql(DELETE_POST, {"id": post["id"]}, token=author.token)
    assert deleted["deletePost"]["errors"] == []
    await s3_stack.run_jobs()
    assert s3_stack.s3.list_objects_v2(Bucket=BUCKET, Prefix=f"media/{post_number}/").get("KeyCount") == 0
    with pytest.raises(botocore.exceptions.ClientError):
        s3_stack.s3.head_object(Bucket=BUCKET, Key=original["key"])


async def test_the_server_checks_what_s3_does_not(s3_stack: S3Stack) -> None:
    """moto, like the other S3 servers that run here, accepts any size and type: the claim refuses."""
    api = s3_stack.api
    author = await api.new_user()
    declared = 1000
    payload = (await api.gql(REQUEST_UPLOAD, {"t": "image/jpeg", "n": declared}, token=author.token))[
        "requestUpload"
    ]
    response = await send_upload(
        api.http, payload["upload"]["target"], media_files.image_bytes("jpeg"), "image/jpeg"
    )
    assert response.status_code in (200, 204)
    result = await create_media_post(api, author, [{"uploadId": payload["upload"]["id"]}])
    assert [e["code"] for e in result["errors"]] == ["UPLOAD_MISMATCH"]


async def test_archived_media_moves_to_a_colder_storage_class_and_back(s3_stack: S3Stack) -> None:
    api = s3_stack.api
    services = s3_stack.services
    author = await api.new_user()
    upload_id = await upload(api, author, media_files.image_bytes("jpeg", 400, 300), "image/jpeg")
    post = (await create_media_post(api, author, [{"uploadId": upload_id}]))["post"]
    await s3_stack.run_jobs()
    post_number = parse_global_id(post["id"])[1]
    keys = [
        item["Key"]
        for item in s3_stack.s3.list_objects_v2(Bucket=BUCKET, Prefix=f"media/{post_number}/")["Contents"]
    ]
    report = await services.archive.run(age=timedelta(0), max_engagement=10)
    assert post_number in report.archived_ids
    classes = {
        s3_stack.s3.head_object(Bucket=BUCKET, Key=key).get("StorageClass", "STANDARD") for key in keys
    }
    assert classes == {"STANDARD_IA"}
    assert await services.archive.promote(post_number) is True
    classes = {
        s3_stack.s3.head_object(Bucket=BUCKET, Key=key).get("StorageClass", "STANDARD") for key in keys
    }
    assert classes == {"STANDARD"}
    query = "query($id: ID!) { post(id: $id) { media { url(size: HIGH) } } }"
    assert (await api.gql(query, {"id": post["id"]}))["post"]["media"][0]["url"].startswith(CDN)


async def test_upload_targets_can_name_the_endpoint_browsers_reach(
    s3_stack: S3Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # In compose, the API reaches MinIO as minio:9000 and browsers as localhost:9000
    public = s3_stack.settings.s3_endpoint_url.replace("127.0.0.1", "localhost")
    assert public != s3_stack.settings.s3_endpoint_url
    blobs = s3_stack.services.stores.blobs
    monkeypatch.setattr(
        blobs, "_settings", dataclasses.replace(s3_stack.settings, s3_public_endpoint_url=public)
    )
    api = s3_stack.api
    author = await api.new_user()
    data = media_files.image_bytes("jpeg", 64, 48)
    payload = (await api.gql(REQUEST_UPLOAD, {"t": "image/jpeg", "n": len(data)}, token=author.token))[
        "requestUpload"
    ]
    target = payload["upload"]["target"]
    assert target["url"].startswith(public + "/")
    # The signed policy does not depend on the host, so the upload through the other name works
    response = await send_upload(api.http, target, data, "image/jpeg")
    assert response.status_code in (200, 204), response.text
    result = await create_media_post(api, author, [{"uploadId": payload["upload"]["id"]}])
    assert result["errors"] == []


async def test_a_store_without_the_cold_class_does_not_stop_archival(
    s3_stack: S3Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = s3_stack.services
    monkeypatch.setattr(
        services.archive,
        "_settings",
        dataclasses.replace(s3_stack.settings, s3_cold_storage_class="NO_SUCH_CLASS"),
    )
    api = s3_stack.api
    author = await api.new_user()
    upload_id = await upload(api, author, media_files.image_bytes("jpeg", 64, 48), "image/jpeg")
    post = (await create_media_post(api, author, [{"uploadId": upload_id}]))["post"]
    await s3_stack.run_jobs()
    report = await services.archive.run(age=timedelta(0), max_engagement=10)
    assert parse_global_id(post["id"])[1] in report.archived_ids
    query = "query($id: ID!) { post(id: $id) { id media { state } } }"
    assert (await api.gql(query, {"id": post["id"]}))["post"]["media"][0]["state"] == "READY"
