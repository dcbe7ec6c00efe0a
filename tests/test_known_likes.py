"""Which of many viewers like a new post, as the live hub asks for every open screen at once."""

from __future__ import annotations

from typing import TYPE_CHECKING

from resolvers.global_ids import expect_global_id
from tests.helpers import LIKE, Api, create_post

if TYPE_CHECKING:
    from services.container import Services


async def test_a_post_nobody_likes_is_answered_for_every_viewer(api: Api, services: Services) -> None:
    author = await api.new_user()
    viewers = [await api.new_user() for _ in range(3)]
    post_id = expect_global_id(await create_post(api, author), "Post")
    viewer_ids = [expect_global_id(viewer.id, "User") for viewer in viewers]
    # None of them has read a page yet, so none has a window of recent likes in Redis
    assert await services.likes.known_likes(viewer_ids, post_id) == dict.fromkeys(viewer_ids, False)


async def test_once_liked_only_viewers_with_a_window_are_answered(api: Api, services: Services) -> None:
    author, fan, other, stranger = [await api.new_user() for _ in range(4)]
    post_global_id = await create_post(api, author)
    post_id = expect_global_id(post_global_id, "Post")
    await api.gql(LIKE, {"p": post_global_id}, token=fan.token)
    fan_id, other_id, stranger_id = (expect_global_id(user.id, "User") for user in (fan, other, stranger))
    await services.likes.liked_which(other_id, [post_id])  # opens the other viewer's window
    known = await services.likes.known_likes([fan_id, other_id, stranger_id], post_id)
    assert known[other_id] is False
    assert known.get(fan_id, True) is True, "the fan's like is never answered as not liked"
    assert stranger_id not in known, "no window: the viewer's own read answers"
