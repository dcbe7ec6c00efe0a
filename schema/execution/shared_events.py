"""Subscription events rendered once and shared by every subscriber who asked for the same.

A new post reaches a thousand open home timelines within milliseconds, and each subscription
would run its selection over the same post: the author, counts, media URLs and first comments
loaded and completed a thousand times. An event that can be shared carries a `share_key`:
everything its response depends on besides the subscriber's operation (for a new post: the
post, its cursor, and whether this viewer likes it). Subscribers whose operation (the same
query text, operation name and variables) selects no other field that depends on the viewer
get one render per share key: the first executes it, the others await its result, and each
gets its own copy of the result to mask and send. Every other event, or operation, runs as
usual, so a shared render is never wrong, at worst not shared.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
from graphql import FieldNode, GraphQLError, OperationType, TypeInfo, TypeInfoVisitor, VariableNode, visit
from graphql.language import Visitor

from aperture import metrics

if TYPE_CHECKING:
    from collections.abc import Callable, Hashable, Iterable

    from graphql import ExecutionResult, FragmentDefinitionNode, GraphQLSchema, OperationDefinitionNode
    from graphql.execution import Executor

# Fields whose value depends on who is asking, other than what a share key already holds
# (the viewer's like of the event's post). An operation that selects any of them is rendered
# for each subscriber. tests/schema/test_shared_events.py checks that every field whose
# resolver reads the viewer is listed here or covered by the share key.
VIEWER_DEPENDENT_FIELDS = frozenset(
    {
        ("Query", "viewer"),
        ("User", "viewerFollows"),
        ("User", "followsViewer"),
        ("User", "settings"),
        ("User", "homeTimeline"),
        ("User", "posts"),  # the author's own processing posts
        ("Comment", "post"),  # null when the viewer may not see it
        ("User", "notifications"),
        ("User", "unreadNotificationCount"),
        ("User", "followedHashtags"),
        ("User", "suggestedUsers"),
        ("Hashtag", "viewerFollows"),
        # What the privacy policy (services/privacy/policy.py) filters per viewer: a private
        # account's lists and posts, and the people on either side of a block
        ("User", "followers"),
        ("User", "following"),
        ("User", "viewerHasRequestedFollow"),
        ("User", "followRequests"),
        ("User", "blockedUsers"),
        ("User", "mutedUsers"),
        ("Hashtag", "posts"),
    }
)
# Lists that leave out people blocked either way and nothing else (services/privacy/policy.py
# `unblocked`): for a viewer in no block at all they are what everyone without blocks sees, so
# such viewers share their renders; a viewer in a block renders alone
BLOCK_DEPENDENT_FIELDS = frozenset({("Post", "likers"), ("Post", "comments")})
SHARE_KEY_FIELDS = frozenset({("Post", "viewerHasLiked")})
_TTL_S = 5.0
# Bound once: a label lookup per subscriber and event is a measurable part of a delivery
_RENDERED = metrics.LIVE_RENDERS.labels(outcome="rendered")
_SHARED = metrics.LIVE_RENDERS.labels(outcome="shared")
_SENT_RENDERED = metrics.LIVE_RENDERS.labels(outcome="sent_rendered")
_MAX_ENTRIES = 4096


class _SelectionUse(Visitor):
    """The fields (with the type they are selected on) and the variables of a selection."""

    def __init__(self, type_info: TypeInfo) -> None:
        super().__init__()
        self.type_info = type_info
        self.fields: set[tuple[str, str]] = set()
        self.variables: set[str] = set()

    def enter_field(self, node: FieldNode, *_: object) -> None:
        parent = self.type_info.get_parent_type()
        self.fields.add((parent.name if parent is not None else "?", node.name.value))

    def enter_variable(self, node: VariableNode, *_: object) -> None:
        self.variables.add(node.name.value)


def selection_use(
    schema: GraphQLSchema, fragments: Iterable[FragmentDefinitionNode], operation: OperationDefinitionNode
) -> _SelectionUse:
    """What an event's render can read: every field and variable below the root fields and in
    every fragment, under every condition (a superset). The root fields' own arguments (a
    cursor, the posts a client holds) shaped the event stream, not the render of an event."""
    root = schema.subscription_type
    use = _SelectionUse(TypeInfo(schema))
    for fragment in fragments:
        visit(fragment, TypeInfoVisitor(use.type_info, use))
    for selection in operation.selection_set.selections:
        if not isinstance(selection, FieldNode) or root is None or selection.selection_set is None:
            visit(selection, TypeInfoVisitor(use.type_info, use))  # a fragment: seen above
            continue
        field = root.fields.get(selection.name.value)
        use.type_info = TypeInfo(schema, field.type if field is not None else None)
        visit(selection.selection_set, TypeInfoVisitor(use.type_info, use))
    return use


@dataclass(frozen=True, slots=True)
class ShareKey:
    """What an event's render depends on besides the operation: `event` for every viewer (a
    new post: the post, its cursor, this viewer's like), and whether the viewer is in no block
    either way (False when unknown), which matters only to operations that select a list
    filtered by blocks."""

    event: tuple[object, ...]
    block_free: bool


@dataclass(frozen=True, slots=True)
class OperationKey:
    """The part of a render's key that a subscription's operation gives, the same for all its events."""

    key: tuple[Hashable, ...]
    reads_block_lists: bool

    def render_key(self, share_key: ShareKey | None) -> Hashable | None:
        """The key of this event's render, or None when it must be rendered for this viewer alone."""
        if share_key is None or (self.reads_block_lists and not share_key.block_free):
            return None
        return (*self.key, share_key.event)


class _Render:
    """One event's render under way or done, and its `next` payload once encoded."""

    __slots__ = ("future", "payload", "until")

    def __init__(self, until: float, future: asyncio.Future[ExecutionResult]) -> None:
        self.until = until
        self.future = future
        self.payload: str | None = None


@dataclass(frozen=True, slots=True)
class _Use:
    """What an operation's renders can read, as far as sharing them goes."""

    shareable: bool
    reads_block_lists: bool
    variables: tuple[str, ...]


class SharedRenders:
    def __init__(self) -> None:
        self._renders: dict[Hashable, _Render] = {}
        self._uses: dict[str, _Use] = {}
        self.rendered = 0
        self.shared = 0

    def key_for(self, executor: Executor[Any]) -> Hashable | None:
        """What identifies this event's render, or None when it must be rendered alone."""
        share_key: ShareKey | None = getattr(executor.root_value, "share_key", None)
        if share_key is None:
            return None
        fragments = [fragment.definition for fragment in executor.fragments.values()]
        operation = self.operation_key(
            executor.schema, fragments, executor.operation, executor.variable_values.coerced
        )
        return None if operation is None else operation.render_key(share_key)

    def operation_key(
        self,
        schema: GraphQLSchema,
        fragments: Iterable[FragmentDefinitionNode],
        operation: OperationDefinitionNode,
        coerced: dict[str, Any],
    ) -> OperationKey | None:
        """The part of a render's key that the operation gives (the same for all its events),
        or None when its renders are never shared."""
        if operation.operation is not OperationType.SUBSCRIPTION or operation.loc is None:
            return None
        text = operation.loc.source.body
        name = operation.name.value if operation.name else None
        known = self._uses.get(f"{name}:{text}")
        if known is None:
            use = selection_use(schema, fragments, operation)
            known = _Use(
                shareable=not (use.fields & VIEWER_DEPENDENT_FIELDS),
                reads_block_lists=bool(use.fields & BLOCK_DEPENDENT_FIELDS),
                variables=tuple(sorted(use.variables)),
            )
            if len(self._uses) > _MAX_ENTRIES:
                self._uses.clear()
            self._uses[f"{name}:{text}"] = known
        if not known.shareable:
            return None
        values = {variable: coerced.get(variable) for variable in known.variables}
        key = (text, name, orjson.dumps(values, option=orjson.OPT_SORT_KEYS, default=str))
        return OperationKey(key, reads_block_lists=known.reads_block_lists)

    async def rendered_payload(self, key: Hashable) -> str | None:
        """The JSON of the `next` payload a render under this key produced (`{"data": ...}`),
        awaited if it is under way; None when there is none to share, or it had errors (those
        go through the usual path, which masks and logs them)."""
        entry = self._renders.get(key)
        if entry is None or entry.until <= time.monotonic():
            return None
        if entry.payload is not None:
            self.shared += 1
            _SENT_RENDERED.inc()
            return entry.payload
        try:
            result = await asyncio.shield(entry.future)
        except asyncio.CancelledError:
            if not entry.future.cancelled():
                raise  # this subscriber is going away
            return None  # the render failed there
        if result.errors or result.extensions:
            return None
        if entry.payload is None:
            entry.payload = orjson.dumps({"data": result.data}).decode()
        self.shared += 1
        _SENT_RENDERED.inc()
        return entry.payload

    def render(self, key: Hashable, execute: Callable[[], Any], is_awaitable: Callable[[Any], bool]) -> Any:
        """The executor's result for this event: rendered here, or shared with a render under way."""
        now = time.monotonic()
        entry = self._renders.get(key)
        if entry is not None and entry.until > now:
            self.shared += 1
            _SHARED.inc()
            return _copy_when_done(entry.future, execute, is_awaitable)
        self._forget_expired(now)
        self.rendered += 1
        _RENDERED.inc()
        future: asyncio.Future[ExecutionResult] = asyncio.get_running_loop().create_future()
        self._renders[key] = _Render(now + _TTL_S, future)
        try:
            result = execute()
        except BaseException as error:
            self._renders.pop(key, None)
            future.cancel()
            raise error from None
        if not is_awaitable(result):
            future.set_result(result)
            return _copy(result)
        return self._settle(key, future, result)

    async def _settle(
        self, key: Hashable, future: asyncio.Future[ExecutionResult], pending: Any
    ) -> ExecutionResult:
        try:
            result: ExecutionResult = await pending
        except BaseException:
            # The others render on their own rather than share a failure that was this one's
            self._renders.pop(key, None)
            future.cancel()
            raise
        future.set_result(result)
        return _copy(result)

    def _forget_expired(self, now: float) -> None:
        if len(self._renders) < _MAX_ENTRIES:
            expired = [key for key, entry in self._renders.items() if entry.until <= now]
        else:
            expired = list(self._renders)
        for key in expired:
            self._renders.pop(key, None)


async def _copy_when_done(
    future: asyncio.Future[ExecutionResult], execute: Callable[[], Any], is_awaitable: Callable[[Any], bool]
) -> Any:
    try:
        shared = await asyncio.shield(future)
    except asyncio.CancelledError:
        if not future.cancelled():
            raise  # this subscriber is going away
        # The render it waited for failed there: render here instead
        result = execute()
        return await result if is_awaitable(result) else result
    return _copy(shared)


def _copy(result: ExecutionResult) -> ExecutionResult:
    """Each subscriber masks and sends its own result; the data itself is never mutated."""
    errors: list[GraphQLError] | None = list(result.errors) if result.errors is not None else None
    return type(result)(data=result.data, errors=errors, extensions=result.extensions)
