"""People and posts for the browser tests, made through the public API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.helpers import Api, TestUser, create_media_post, upload
from tests.media_files import image_bytes

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    RunJobs = Callable[[], Awaitable[int]]

COMMENT = "mutation($p: ID!, $t: String!) { addComment(postId: $p, text: $t) { errors { code } } }"
PROFILE = "mutation($d: String, $b: String) { updateProfile(displayName: $d, bio: $b) { errors { code } } }"
POST_STATE = "query($id: ID!) { post(id: $id) { state } }"


async def photo_post(
    api: Api,
    user: TestUser,
    run_jobs: RunJobs,
    caption: str,
    sizes: list[tuple[int, int]],
    *,
    data: bytes | None = None,
) -> str:
    """A post of generated photos (or of `data`, to make one fail), processed by the worker."""
    colours = ["#d9480f", "#1c7ed6", "#2f9e44", "#ae3ec9"]
    media = []
    for index, (width, height) in enumerate(sizes):
        body = data or image_bytes("jpeg", width, height, color=colours[index % len(colours)])
        media.append(
            {"uploadId": await upload(api, user, body, "image/jpeg"), "altText": f"Photo {index + 1}"}
        )
    payload: dict[str, Any] = await create_media_post(api, user, media, caption)
    assert payload["errors"] == [], payload
    post_id: str = payload["post"]["id"]
    for _ in range(50):
        await run_jobs()
        state = (await api.gql(POST_STATE, {"id": post_id}, token=user.token))["post"]["state"]
        if state != "PROCESSING":
            break
    return post_id


async def comment(api: Api, user: TestUser, post_id: str, text: str) -> None:
    payload = (await api.gql(COMMENT, {"p": post_id, "t": text}, token=user.token))["addComment"]
    assert payload["errors"] == [], payload


async def describe(api: Api, user: TestUser, display_name: str, bio: str = "") -> None:
    payload = (await api.gql(PROFILE, {"d": display_name, "b": bio}, token=user.token))["updateProfile"]
    assert payload["errors"] == [], payload


SET_PRIVATE = "mutation { updateProfile(isPrivate: true) { errors { code } } }"
RELATION = "mutation($u: ID!) {{ {name}(userId: $u) {{ errors {{ code }} }} }}"


async def make_private(api: Api, user: TestUser) -> None:
    payload = (await api.gql(SET_PRIVATE, token=user.token))["updateProfile"]
    assert payload["errors"] == [], payload


async def relate(api: Api, user: TestUser, name: str, other: TestUser) -> None:
    """`name` (follow, block, mute, ...) from `user` to `other`, through the API."""
    payload = (await api.gql(RELATION.format(name=name), {"u": other.id}, token=user.token))[name]
    assert payload["errors"] == [], payload
