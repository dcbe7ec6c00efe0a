"""The first comments of each post, kept in Redis (services/engagement/comment_heads.py).

Post cards show a post's first comments on every screen; once a head is kept, reading them
asks MongoDB nothing, and every add or delete is seen by the next read.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from resolvers.global_ids import expect_global_id
from services.engagement.comment_heads import HEAD_SIZE, comment_head_key
from tests.helpers import Api, create_post

if TYPE_CHECKING:
    from services.container import Services
    from services.engagement.comment_records import CommentRecord

FIRST_COMMENTS = """query($id: ID!) { post(id: $id) {
  comments(first: 3) { edges { node { text author { username } } } pageInfo { hasNextPage } }
} }"""
ADD = "mutation($p: ID!, $t: String!) { addComment(postId: $p, text: $t) { comment { id } errors { code } } }"
REMOVE = "mutation($id: ID!) { deleteComment(id: $id) { deletedCommentId errors { code } } }"


async def _first(api: Api, post_id: str, token: str) -> tuple[list[str], bool]:
    comments = (await api.gql(FIRST_COMMENTS, {"id": post_id}, token=token))["post"]["comments"]
    return [edge["node"]["text"] for edge in comments["edges"]], comments["pageInfo"]["hasNextPage"]


async def test_a_kept_head_answers_without_mongodb_and_follows_adds_and_deletes(
    api: Api, services: Services
) -> None:
    author, fan = await api.new_user(), await api.new_user()
    post_id = await create_post(api, author)
    raw_id = expect_global_id(post_id, "Post")
    assert await _first(api, post_id, fan.token) == ([], False)
    ids = []
    for text in ("one", "two", "three", "four"):
        added = (await api.gql(ADD, {"p": post_id, "t": text}, token=fan.token))["addComment"]
        ids.append(added["comment"]["id"])
        # every add is seen by the next read (a head that stayed would still say "[]")
    assert await _first(api, post_id, fan.token) == (["one", "two", "three"], True)
    assert await services.stores.redis.exists(comment_head_key(raw_id))

    services.stores.mongo_stats.reset()
    assert await _first(api, post_id, fan.token) == (["one", "two", "three"], True)
    assert services.stores.mongo_stats.total == 0, services.stores.mongo_stats.by_command

    await api.gql(REMOVE, {"id": ids[1]}, token=fan.token)
    assert await _first(api, post_id, fan.token) == (["one", "three", "four"], False)


async def test_a_head_read_before_a_write_is_not_kept_after_it(services: Services) -> None:
    """The race the generation closes: a reader misses, reads MongoDB, and a comment is added
    before it stores what it read. What it read must not be kept."""
    heads = services.comments._heads
    assert heads is not None
    post_id = services.ids.next_id()
    read_started, write_done = asyncio.Event(), asyncio.Event()

    async def slow_read(_count: int) -> list[CommentRecord]:
        read_started.set()
        await write_done.wait()
        return []  # what MongoDB had before the write

    reader = asyncio.create_task(heads.first(post_id, 3, slow_read))
    await read_started.wait()
    await heads.drop(post_id)  # a comment was written
    write_done.set()
    assert await reader == []
    assert not await services.stores.redis.exists(comment_head_key(post_id)), "a stale head was kept"

    async def fresh_read(_count: int) -> list[CommentRecord]:
        return []

    await heads.first(post_id, 3, fresh_read)
    assert await services.stores.redis.exists(comment_head_key(post_id)), "an undisturbed read is kept"


async def test_pages_past_the_head_and_large_first_pages_read_mongodb(api: Api, services: Services) -> None:
    author = await api.new_user()
    post_id = await create_post(api, author)
    for n in range(HEAD_SIZE + 2):
        await api.gql(ADD, {"p": post_id, "t": f"c{n}"}, token=author.token)
    query = (
        """query($id: ID!, $n: Int!) { post(id: $id) { comments(first: $n) { edges { node { text } } } } }"""
    )
    for first in (HEAD_SIZE - 1, HEAD_SIZE, HEAD_SIZE + 2):
        edges = (await api.gql(query, {"id": post_id, "n": first}, token=author.token))["post"]["comments"][
            "edges"
        ]
        assert [edge["node"]["text"] for edge in edges] == [f"c{n}" for n in range(first)]
