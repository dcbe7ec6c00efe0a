"""Live events rendered once for every subscriber who asked for the same, and never shared
across what differs between viewers."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import TYPE_CHECKING, Any

import resolvers
import schema.types
from aperture import metrics
from schema.execution.shared_events import BLOCK_DEPENDENT_FIELDS, SHARE_KEY_FIELDS, VIEWER_DEPENDENT_FIELDS
from tests.helpers import LIKE, create_post, follow
from tests.live_client import LiveClient

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from tests.helpers import Api

    RunJobs = Callable[[], Awaitable[int]]

SHARED = """subscription($after: String) { homeTimelineUpdates(after: $after) {
  type cursor post { id caption likeCount commentCount viewerHasLiked author { username } hashtags }
} }"""
PERSONAL = """subscription { homeTimelineUpdates {
  type post { id viewerHasLiked author { username followsViewer viewerFollows } }
} }"""
HOME = "{ viewer { homeTimeline(first: 5) { edges { cursor } } } }"


async def _subscribe(
    server_url: str, token: str, query: str, variables: dict[str, Any] | None = None
) -> LiveClient:
    client = await LiveClient.connect(server_url, token)
    assert await client.acknowledged()
    await client.subscribe(query, variables)
    return client


async def test_subscribers_sharing_a_render_still_see_their_own_likes_and_relations(
    api: Api, server_url: str, run_jobs: RunJobs
) -> None:
    author = await api.new_user("author")
    fans = [await api.new_user("fan") for _ in range(4)]
    for fan in fans:
        await follow(api, fan, author)
        await api.gql(HOME, token=fan.token)  # active: pushed to
    await follow(api, author, fans[2])  # the author follows fan 2 back
    older = await create_post(api, author, "liked by the first fan only")
    await run_jobs()
    await api.gql(LIKE, {"p": older}, token=fans[0].token)
    start = (await api.gql(HOME, token=fans[1].token))["viewer"]["homeTimeline"]["edges"][0]["cursor"]

    # Fans 0 and 1 replay the older post with one operation and the same variables: one render
    # per like, each gets its own. Fans 2 and 3 select fields about themselves.
    shares_before = _shared_renders()
    shared = [await _subscribe(server_url, fan.token, SHARED, {"after": None}) for fan in fans[:2]]
    personal = [await _subscribe(server_url, fan.token, PERSONAL) for fan in fans[2:]]
    new = await create_post(api, author, "new for everyone")
    await run_jobs()
    seen: list[dict[str, Any]] = []
    for client in shared:
        event = (await client.next_data())["homeTimelineUpdates"]
        assert event["post"]["id"] == new
        seen.append(event)
    assert [event["post"]["viewerHasLiked"] for event in seen] == [False, False]
    assert seen[0] == seen[1], "the same render for the same operation, post and like"
    assert _shared_renders() == shares_before + 1, "the second subscriber took the first one's render"
    assert seen[0]["post"]["author"] == {"username": author.username}
    for fan, client in zip(fans[2:], personal, strict=True):
        post = (await client.next_data())["homeTimelineUpdates"]["post"]
        assert post["id"] == new
        assert post["author"]["viewerFollows"] is True
        assert post["author"]["followsViewer"] is (fan is fans[2]), "rendered for each viewer"

    # A replay from a cursor: the older post comes again, liked by fan 0 only
    replays = [await _subscribe(server_url, fan.token, SHARED, {"after": start}) for fan in fans[:2]]
    del start
    liked = []
    for client in replays:
        events = [(await client.next_data())["homeTimelineUpdates"] for _ in range(2)]
        by_id = {event["post"]["id"]: event for event in events}
        liked.append(by_id[older]["post"]["viewerHasLiked"])
        assert by_id[older]["post"]["likeCount"] == 1
    assert liked == [True, False]
    for client in [*shared, *personal, *replays]:
        await client.socket.close()


def _shared_renders() -> float:
    """Renders taken from another subscriber's, whether executed again or sent as its frame."""
    return _renders("shared") + _renders("sent_rendered")


def _renders(outcome: str) -> float:
    value: float = metrics.LIVE_RENDERS.labels(outcome=outcome)._value.get()
    return value


def _viewer_readers() -> set[str]:
    """Names of the resolver functions that read who is asking, directly or through another."""
    direct_markers = (
        "viewer_id",
        "require_viewer",
        "viewer_has_liked",
        "viewer_follows",
        "follows_viewer",
        "viewer_requested_follow",
        "privacy.",  # the visibility policy answers per viewer
    )
    functions: dict[str, ast.AST] = {}
    for path in Path(resolvers.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                functions[f"{path.stem}.{node.name}"] = node
    readers = {
        name for name, node in functions.items() if any(m in ast.unparse(node) for m in direct_markers)
    }
    changed = True
    while changed:
        changed = False
        for name, node in functions.items():
            module = name.split(".", 1)[0]
            calls = {f"{module}.{n.id}" for n in ast.walk(node) if isinstance(n, ast.Name)}
            if name not in readers and calls & readers:
                readers.add(name)
                changed = True
    return readers


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def test_every_field_that_reads_the_viewer_is_never_shared_or_is_in_the_share_key() -> None:
    readers = _viewer_readers()
    assert "post_fields.viewer_has_liked" in readers  # the scan sees what it must
    fields: set[tuple[str, str]] = set()
    for path in Path(schema.types.__file__).parent.glob("*.py"):
        for type_node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(type_node, ast.ClassDef):
                continue
            for node in type_node.body:
                if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                called = {
                    f"{n.value.id}.{n.attr}"
                    for n in ast.walk(node)
                    if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
                }
                if called & readers:
                    fields.add((type_node.name, _camel(node.name)))
    assert ("User", "viewerFollows") in fields, "the scan is broken"
    allowed = VIEWER_DEPENDENT_FIELDS | BLOCK_DEPENDENT_FIELDS | SHARE_KEY_FIELDS
    assert fields <= allowed, sorted(fields - allowed)
