"""Kept post cards: a card completed once serves the next request that renders it the same
way, and never outlives a change to what it shows, nor crosses what differs between viewers."""

from __future__ import annotations

import ast
import inspect
import textwrap
from typing import TYPE_CHECKING, Any

from aperture import metrics
from resolvers.global_ids import parse_global_id
from schema.types.connections import PostEdge
from schema.types.media import Media
from schema.types.post import Post
from schema.types.post_card import PURE_FIELDS
from schema.types.user import User
from services.archive.job_names import ArchiveJob
from tests import media_files
from tests.helpers import DELETE_POST, LIKE, create_media_post, create_post, follow, upload

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from services.container import Services
    from tests.helpers import Api, TestUser

    RunJobs = Callable[[], Awaitable[int]]

HOME = """{ viewer { homeTimeline(first: 10) { edges { cursor node {
  id caption createdAt likeCount commentCount viewerHasLiked
  author { id username displayName }
  media { id type altText url(size: THUMBNAIL) blurhash }
} } } } }"""
PERSONAL = (
    """{ viewer { homeTimeline(first: 10) { edges { node { id author { username viewerFollows } } } } } }"""
)
RENAME = "mutation($d: String!) { updateProfile(displayName: $d) { errors { code } } }"


def _kept() -> float:
    value: float = metrics.CARD_RENDERS.labels(outcome="kept")._value.get()
    return value


async def _cards(api: Api, reader: TestUser, query: str = HOME) -> list[dict[str, Any]]:
    edges = (await api.gql(query, token=reader.token))["viewer"]["homeTimeline"]["edges"]
    return [edge["node"] for edge in edges]


async def _network(api: Api, run_jobs: RunJobs, posts: int = 3) -> tuple[TestUser, TestUser]:
    author, reader = await api.new_user("cardauthor"), await api.new_user("cardreader")
    await follow(api, reader, author)
    for index in range(posts):
        await create_post(api, author, f"card {index}")
    await run_jobs()
    return author, reader


async def test_a_repeated_page_is_served_from_kept_cards_with_the_same_bytes(
    api: Api, run_jobs: RunJobs
) -> None:
    _, reader = await _network(api, run_jobs)
    # A document is kept from its second sighting (gateway/doorkeeper.py), and its plan, which
    # keeps the cards, with it: the second page is the first one the kept plan renders
    await _cards(api, reader)
    first = await _cards(api, reader)
    kept = _kept()
    assert await _cards(api, reader) == first
    assert _kept() - kept == len(first) == 3


async def test_an_edge_is_kept_with_its_own_cursor(api: Api, run_jobs: RunJobs) -> None:
    _, reader = await _network(api, run_jobs)
    # One document (one plan) for both orders: the same post comes at a LATEST and a RANKED cursor
    query = """query($order: HomeOrder!) { viewer { homeTimeline(first: 10, order: $order) {
      edges { cursor node { id caption } } } } }"""
    pages = [
        (await api.gql(query, {"order": order}, token=reader.token))["viewer"]["homeTimeline"]["edges"]
        for order in ("LATEST", "LATEST", "LATEST", "RANKED", "RANKED")
    ]
    assert pages[1] == pages[2], "a kept page, edge for edge"
    # The same posts at other cursors are their own edges, not the kept ones
    assert {edge["node"]["id"] for edge in pages[4]} == {edge["node"]["id"] for edge in pages[2]}
    assert not {edge["cursor"] for edge in pages[4]} & {edge["cursor"] for edge in pages[2]}


async def test_likes_renames_media_changes_deletes_and_archiving_show_on_the_next_render(
    api: Api, services: Services, run_jobs: RunJobs
) -> None:
    author, reader = await _network(api, run_jobs, posts=2)
    upload_id = await upload(api, author, media_files.image_bytes("jpeg", 320, 240), "image/jpeg")
    photo = (await create_media_post(api, author, [{"uploadId": upload_id}], "a photo"))["post"]["id"]
    await run_jobs()
    before = await _cards(api, reader)
    assert [card["caption"] for card in before] == ["a photo", "card 1", "card 0"]

    # One change at a time, each followed by a render, so that no card is new for another reason
    await api.gql(LIKE, {"p": before[1]["id"]}, token=reader.token)
    liked = await _cards(api, reader)
    assert [(c["likeCount"], c["viewerHasLiked"]) for c in liked] == [(0, False), (1, True), (0, False)]

    await api.gql(RENAME, {"d": "Renamed Author"}, token=author.token)
    assert {card["author"]["displayName"] for card in await _cards(api, reader)} == {"Renamed Author"}

    post_id = parse_global_id(photo)[1]
    record = await services.posts.get(post_id)
    assert record is not None
    await services.posts.update_media(post_id, record.media[0].id, alt_text="a described photo")
    assert (await _cards(api, reader))[0]["media"][0]["altText"] == "a described photo"

    await api.gql(DELETE_POST, {"id": before[2]["id"]}, token=author.token)
    after = await _cards(api, reader)
    assert [card["id"] for card in after] == [before[0]["id"], before[1]["id"]]

    # Archived: read from the other tier, cached anew, rendered the same
    await services.queue.enqueue(ArchiveJob.ARCHIVE_POSTS, 0, 5)
    await run_jobs()
    assert await _cards(api, reader) == after


async def test_each_viewer_sees_their_own_like_on_a_shared_card(api: Api, run_jobs: RunJobs) -> None:
    author, reader = await _network(api, run_jobs, posts=1)
    other = await api.new_user("cardother")
    await follow(api, other, author)
    (card,) = await _cards(api, reader)
    await api.gql(LIKE, {"p": card["id"]}, token=other.token)
    for _ in range(2):
        assert [(c["likeCount"], c["viewerHasLiked"]) for c in await _cards(api, reader)] == [(1, False)]
        assert [(c["likeCount"], c["viewerHasLiked"]) for c in await _cards(api, other)] == [(1, True)]


async def test_a_card_selecting_a_field_about_the_viewer_is_never_kept(api: Api, run_jobs: RunJobs) -> None:
    author, reader = await _network(api, run_jobs, posts=2)
    await _cards(api, reader, PERSONAL)
    kept = _kept()
    assert [c["author"]["viewerFollows"] for c in await _cards(api, reader, PERSONAL)] == [True, True]
    await api.gql(
        "mutation($u: ID!) { unfollow(userId: $u) { changed } }", {"u": author.id}, token=reader.token
    )
    await follow(api, author, reader)  # unrelated: the reader's page is now empty or not, never stale
    assert _kept() == kept


# What a pure field's resolver may call: readers of the post's own hydrated data
_ALLOWED_CALLS = {
    "PostState", "Media.from_item", "map_maybe", "post_fields.author", "post_fields.count",
    "post_fields.viewer_has_liked", "media_fields.variant_url", "f'{size.value}.{image_format.value}'",
    "Post.from_hydrated",
}  # fmt: skip


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ast.unparse(node)


def test_every_pure_field_reads_only_the_card_s_own_data() -> None:
    """A field listed as pure answers from the hydrated post (or the media item) alone: no
    await, no context besides the CDN base that media_fields reads, no other service."""
    for cls in (PostEdge, Post, User, Media):
        definition = getattr(cls, "__strawberry_definition__")  # noqa: B009 - set by strawberry.type
        by_name = {field.graphql_name or _camel(field.python_name): field for field in definition.fields}
        for name in PURE_FIELDS[definition.name]:
            field = by_name[name]
            if field.base_resolver is None:
                continue  # an attribute, set from the record when the object is built
            function = field.base_resolver.wrapped_func
            (definition_node,) = ast.parse(textwrap.dedent(inspect.getsource(function))).body
            assert isinstance(definition_node, ast.FunctionDef), name  # not async
            body = [node for statement in definition_node.body for node in ast.walk(statement)]
            calls = {_dotted(node.func) for node in body if isinstance(node, ast.Call)}
            assert calls <= _ALLOWED_CALLS, (definition.name, name, calls - _ALLOWED_CALLS)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
