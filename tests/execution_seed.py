"""A small network for the differential tests, written through the real services.

It has what the corpus needs to reach every kind of value: posts with several photos, a
video, media still processing (visible to its author only) and failed, mentions and
hashtags, likes and comments, follows both ways, and a home timeline filled by fan-out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from resolvers.cursors import encode_cursor
from resolvers.global_ids import to_global_id
from services.posts.records import MediaItem, MediaKind, MediaState

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from services.container import Services

USERNAMES = ("alice", "bob", "carol", "dave")


def media(item_id: int, kind: MediaKind = MediaKind.IMAGE, state: MediaState = MediaState.READY) -> MediaItem:
    ready = state is MediaState.READY
    names = ["hls", "poster"] if kind is MediaKind.VIDEO else []
    names += [f"{size}.{fmt}" for size in ("thumbnail", "medium", "high") for fmt in ("webp", "jpg")]
    return MediaItem(
        id=item_id,
        kind=kind,
        state=state,
        alt_text=f"item {item_id}",
        content_type="video/mp4" if kind is MediaKind.VIDEO else "image/jpeg",
        upload_key=f"uploads/{item_id}",
        failure_reason="corrupt file" if state is MediaState.FAILED else None,
        width=1080 if ready else None,
        height=1350 if ready else None,
        blurhash="LEHV6nWB2yk8pyo0adR*.7kCMdnj" if ready else None,
        duration_s=12.5 if kind is MediaKind.VIDEO and ready else None,
        variants={name: f"media/{item_id}/{name}" for name in names} if ready else {},
    )


async def seed_network(services: Services, run_jobs: Callable[[], Awaitable[int]]) -> dict[str, Any]:
    ids = {name: (await services.users.sign_up(name, "correct horse battery", None)).id for name in USERNAMES}
    await services.users.update_profile(ids["dave"], "Dave D.", "Photographer. Coffee.")
    for follower, followee in (
        ("alice", "bob"), ("alice", "carol"), ("alice", "dave"), ("bob", "alice"), ("carol", "bob"),
    ):  # fmt: skip
        await services.follows.follow(ids[follower], ids[followee])
    await run_jobs()
    next_id = services.ids.next_id
    posts = [
        await services.posts.create(ids["bob"], "Harbour at dawn #sunset #travel",
                                    [media(next_id()), media(next_id())]),
        await services.posts.create(ids["carol"], "Coffee with @alice and @nobody #coffee"),
        await services.posts.create(ids["dave"], "Whales! #ocean", [media(next_id(), MediaKind.VIDEO)]),
        await services.posts.create(ids["bob"], "Still uploading", [media(next_id(), state=MediaState.PROCESSING)]),
        await services.posts.create(ids["alice"], "My own post #me"),
        await services.posts.create(ids["dave"], "Three in a row", [media(next_id()) for _ in range(3)]),
        await services.posts.create(ids["carol"], "Plain words"),
    ]  # fmt: skip
    await run_jobs()
    await services.likes.like(ids["alice"], posts[0].id)
    await services.likes.like(ids["carol"], posts[0].id)
    await services.likes.like(ids["bob"], posts[2].id)
    comments = [
        await services.comments.add(ids["alice"], posts[0].id, "Gorgeous light"),
        await services.comments.add(ids["carol"], posts[0].id, "Where is this?"),
        await services.comments.add(ids["bob"], posts[2].id, "Wow"),
    ]
    await run_jobs()
    seeded: dict[str, Any] = {
        "tokens": {name: await services.sessions.create(uid) for name, uid in ids.items()},
        "missing_post": to_global_id("Post", 1),
        "missing_user": to_global_id("User", 2),
        "bad_id": "not-a-global-id",
        "unknown_type": to_global_id("Planet", 3),
        "cursor_far": encode_cursor(1),
    }
    for name, uid in ids.items():
        seeded[f"user_{name}"] = to_global_id("User", uid)
    for index, post in enumerate(posts):
        seeded[f"post{index}"] = to_global_id("Post", post.id)
    for index, comment in enumerate(comments):
        seeded[f"comment{index}"] = to_global_id("Comment", comment.id)
    return seeded
