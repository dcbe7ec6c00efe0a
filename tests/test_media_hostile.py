"""Hostile and odd media: each refused with a reason and a code, and the worker keeps going."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pytest
from wand.image import Image

from resolvers.global_ids import parse_global_id
from tests import media_files
from tests.helpers import (
    Api,
    create_media_post,
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
