"""Which parts of a post card are the same for every request that renders it the same way.

The planned executor keeps completed post cards (schema/execution/card_renders.py) keyed by
what `post_render_key` returns. Every field listed in PURE_FIELDS must be a function of that
key and of nothing else: not of the viewer beyond the like the key holds, not of the time,
not of arguments taken from variables (those are never cached anyway). A field that reads
anything more stays off the list; then any card that selects it is completed per request.
tests/schema/test_card_renders.py checks that each listed field's resolver reads only the
post's hydrated data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from schema.execution.card_renders import CardSpec, RenderKey
from schema.types.connections import PostEdge

if TYPE_CHECKING:
    from resolvers.hydration import HydratedPost
    from schema.types.post import Post

_POST_FIELDS = "id caption hashtags createdAt state media author likeCount commentCount viewerHasLiked"
_USER_FIELDS = "id username displayName bio createdAt"
_MEDIA_FIELDS = (
    "id type state failureReason failureCode altText width height blurhash durationSeconds url hlsUrl"
)
PURE_FIELDS = {
    # An edge's `reason` and `ranking` (RANKED order) are left off: a page that asks for them
    # completes its edges per request
    "PostEdge": frozenset({"cursor", "node"}),
    "Post": frozenset(_POST_FIELDS.split()),
    "User": frozenset(_USER_FIELDS.split()),
    "Media": frozenset(_MEDIA_FIELDS.split()),
}


def post_render_key(post: Post) -> RenderKey | None:
    return hydrated_render_key(post.data)


def hydrated_render_key(data: HydratedPost) -> RenderKey:
    counts = data.counts
    return RenderKey(
        key=(
            id(data.record),
            id(data.author),
            None if counts is None else tuple(counts.values.values()),
            data.liked,
        ),
        anchors=(data.record, data.author),
    )


def edge_render_key(edge: PostEdge) -> RenderKey | None:
    """An edge's card: its cursor and its post's card. A page's edges are then each one lookup,
    not an edge completed around a kept post card (about 4 microseconds an edge)."""
    node = hydrated_render_key(edge.post)
    return RenderKey(key=(edge.cursor, node.key), anchors=node.anchors)


def post_card_spec() -> CardSpec:
    def render_key(source: Any) -> RenderKey | None:
        return edge_render_key(source) if type(source) is PostEdge else post_render_key(source)

    return CardSpec(
        type_names=frozenset({"Post", "PostEdge"}), render_key=render_key, pure_fields=PURE_FIELDS
    )
