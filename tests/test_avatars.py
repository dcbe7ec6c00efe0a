"""Profile photos: uploaded through the presigned path, processed into image variants by a job."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

from tests.helpers import Api, upload
from tests.media_files import image_bytes, video

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

SET_AVATAR = """mutation($u: ID!) { updateProfile(avatarUploadId: $u) {
  user { avatar { state } } errors { field code } } }"""
AVATAR = """query($n: String!) { user(username: $n) { avatar { state width height blurhash
  thumb: url(size: THUMBNAIL) medium: url(size: MEDIUM) jpeg: url(size: THUMBNAIL, format: JPEG) } } }"""


async def test_a_photo_becomes_the_avatar_in_every_variant(
    api: Api, http: httpx.AsyncClient, run_jobs: Callable[[], Awaitable[int]]
) -> None:
    me, other = await api.new_user("me"), await api.new_user("other")
    assert (await api.gql(AVATAR, {"n": me.username}))["user"]["avatar"] is None
    upload_id = await upload(api, me, image_bytes("jpeg", 900, 600), "image/jpeg")
    payload = (await api.gql(SET_AVATAR, {"u": upload_id}, token=me.token))["updateProfile"]
    assert payload == {"user": {"avatar": {"state": "PROCESSING"}}, "errors": []}
    await run_jobs()
    avatar = (await api.gql(AVATAR, {"n": me.username}, token=other.token))["user"]["avatar"]
    assert avatar["state"] == "READY"
    assert (avatar["width"], avatar["height"]) == (900, 600)
    assert avatar["blurhash"]
    for url in (avatar["thumb"], avatar["medium"], avatar["jpeg"]):
        response = await http.get(url)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("image/")

    # An upload is used once: the same one cannot be claimed again, by anyone
    again = (await api.gql(SET_AVATAR, {"u": upload_id}, token=me.token))["updateProfile"]
    assert [error["code"] for error in again["errors"]] == ["UPLOAD_ALREADY_USED"]
    # A new photo replaces the old one, whose variants are deleted
    newer = await upload(api, me, image_bytes("png", 300, 300, color="#1c7ed6"), "image/png")
    await api.gql(SET_AVATAR, {"u": newer}, token=me.token)
    await run_jobs()
    replaced = (await api.gql(AVATAR, {"n": me.username}))["user"]["avatar"]
    assert replaced["state"] == "READY"
    assert (replaced["width"], replaced["height"]) == (300, 300)
    assert (await http.get(avatar["thumb"])).status_code == 404
    assert (await http.get(replaced["thumb"])).status_code == 200
    theirs = await upload(api, other, image_bytes("png", 64, 64), "image/png")
    stolen = (await api.gql(SET_AVATAR, {"u": theirs}, token=me.token))["updateProfile"]
    assert stolen["errors"], "someone else's upload is not mine to use"


async def test_a_video_or_a_broken_file_is_not_an_avatar(
    api: Api, run_jobs: Callable[[], Awaitable[int]], tmp_path: Path
) -> None:
    me = await api.new_user("me")
    clip = await upload(api, me, video(tmp_path / "clip.mp4", seconds=1), "video/mp4")
    refused = (await api.gql(SET_AVATAR, {"u": clip}, token=me.token))["updateProfile"]
    assert [error["code"] for error in refused["errors"]] == ["UNSUPPORTED_MEDIA_TYPE"]
    assert (await api.gql(AVATAR, {"n": me.username}))["user"]["avatar"] is None

    broken = await upload(api, me, b"\xff\xd8\xff\xe0 not really a JPEG" + bytes(1000), "image/jpeg")
    await api.gql(SET_AVATAR, {"u": broken}, token=me.token)
    await run_jobs()
    avatar = (await api.gql(AVATAR, {"n": me.username}))["user"]["avatar"]
    assert avatar["state"] == "FAILED"
    assert avatar["thumb"] is None
