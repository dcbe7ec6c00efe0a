"""Likes read in one batch for the viewers a live event goes to."""

from __future__ import annotations

from typing import TYPE_CHECKING

from resolvers.global_ids import parse_global_id
from tests.helpers import LIKE, create_post

if TYPE_CHECKING:
    from services.container import Services
    from tests.helpers import Api


def _raw(global_id: str) -> int:
    return parse_global_id(global_id)[1]


async def test_known_likes_answers_for_viewers_with_a_window_and_leaves_out_the_rest(
    api: Api, services: Services
) -> None:
    author, liker, other, stranger = [
        await api.new_user(name) for name in ("author", "liker", "other", "new")
    ]
    post = await create_post(api, author, "liked once")
    await api.gql(LIKE, {"p": post}, token=liker.token)
    likes = services.likes
    # `liked_which` opens each user's window of recent likes; the stranger never had one
    for user in (liker, other):
        await likes.liked_which(_raw(user.id), [_raw(post)])
    known = await likes.known_likes([_raw(liker.id), _raw(other.id), _raw(stranger.id)], _raw(post))
    assert known == {_raw(liker.id): True, _raw(other.id): False}
    for user in (liker, other, stranger):
        assert (_raw(post) in await likes.liked_which(_raw(user.id), [_raw(post)])) is (user is liker)
