"""Completed selections of objects whose fields are a function of a small key: post cards.

A home page completes twenty posts, each with its author and media, about fifteen fields a
post; and a thousand readers see the same post rendered the same way. An object type listed
in a `CardSpec` (Post) names a render key for its values (the record and author objects,
the counts, the viewer's like) and the fields whose values depend on nothing else. When
every field a plan selects on such an object, through its sub-selections (author, media),
is one of those, the plan's completed result is kept per render key and handed to the next
request that completes the same plan over the same key, instead of being completed again.

What can never be served stale or to the wrong person:
- the key holds everything the listed fields read; the records in it are compared by
  identity, and the parse memo (services/foundation/parse_memo.py) hands out one object per
  cached text, so any change to a post or its author (delete, media, rename, archive) is a
  new object and a new key;
- a plan that selects any field outside the lists, or takes a field's arguments from
  variables, is never cached;
- a completion that is awaitable (something was not hydrated and had to load) or that
  raised a field error is not kept.

Results are shared read-only, as graphql-core's results are: nothing mutates them after
completion.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from graphql import get_named_type, is_object_type

from aperture import metrics
from schema.execution.planner import plan_subfields
from schema.execution.steps import ResolverKind

if TYPE_CHECKING:
    from collections.abc import Callable, Hashable, Mapping

    from graphql.execution import Executor
    from graphql.pyutils import AwaitableOrValue, Path

    from schema.execution.steps import SelectionPlan


_PLANS_KEPT = 1024
_KEPT = metrics.CARD_RENDERS.labels(outcome="kept")
_COMPLETED = metrics.CARD_RENDERS.labels(outcome="completed")


class RenderKey(NamedTuple):
    """What a card's completion depends on: `key` (hashable), and `anchors`, objects the key
    names by identity, which an entry keeps alive and compares with `is`. (A named tuple: one
    is made per card of every page.)"""

    key: Hashable
    anchors: tuple[Any, ...]


@dataclass(frozen=True)
class CardSpec:
    # The types whose values are cached (a post, and the edge that holds it), and how to key one
    type_names: frozenset[str]
    render_key: Callable[[Any], RenderKey | None]
    # Per object type reachable from it: the fields whose values are a function of the key
    pure_fields: Mapping[str, frozenset[str]]


@dataclass(slots=True)
class _Entry:
    anchors: tuple[Any, ...]
    result: dict[str, Any]


class CardRenders:
    def __init__(self, spec: CardSpec, capacity: int = 2_000) -> None:
        # An entry holds its plan (and through it the operation's document) and a result of
        # a few KB. Every like or comment makes a post's next render a new key, so under
        # mixed load the cache fills to its capacity (20,000 was tens of MB, and a process
        # under bench/soak.py grew for the whole 30 minutes), while the posts read at once by
        # many viewers, the ones worth keeping, are a few hundred
        self.spec = spec
        self._capacity = capacity
        self._entries: dict[tuple[Any, ...], _Entry] = {}
        # Per plan: whether its whole selection is pure (decided once, on first use)
        self._pure: dict[int, tuple[SelectionPlan, bool]] = {}

    def complete(
        self,
        executor: Executor[Any],
        plan: SelectionPlan,
        source: Any,
        path: Path | None,
        execute_plan: Callable[[SelectionPlan, Any, Path | None], AwaitableOrValue[dict[str, Any]]],
    ) -> AwaitableOrValue[dict[str, Any]]:
        render = self.spec.render_key(source)
        if render is None or not self._is_pure(executor, plan):
            return execute_plan(plan, source, path)
        key = (id(plan), render.key)
        anchors = (plan, *render.anchors)
        entry = self._entries.get(key)
        if entry is not None and _same(entry.anchors, anchors):
            _KEPT.inc()
            return entry.result
        _COMPLETED.inc()
        errors_before = len(executor.collected_errors.errors)
        result = execute_plan(plan, source, path)
        if isinstance(result, dict) and len(executor.collected_errors.errors) == errors_before:
            if len(self._entries) >= self._capacity:
                del self._entries[next(iter(self._entries))]  # the oldest entry
            self._entries[key] = _Entry(anchors, result)
        return result

    def _is_pure(self, executor: Executor[Any], plan: SelectionPlan) -> bool:
        known = self._pure.get(id(plan))
        if known is not None and known[0] is plan:
            return known[1]
        pure = self._selection_is_pure(executor, plan)
        if len(self._pure) >= _PLANS_KEPT:
            del self._pure[next(iter(self._pure))]
        # The plan is kept with the verdict, so its id cannot be reused while the verdict stands
        self._pure[id(plan)] = (plan, pure)
        return pure

    def _selection_is_pure(self, executor: Executor[Any], plan: SelectionPlan) -> bool:
        allowed = self.spec.pure_fields.get(plan.parent_type.name)
        if allowed is None:
            return False
        for step in plan.steps:
            if step.kind is ResolverKind.TYPENAME:
                continue
            if step.kind is ResolverKind.STOCK or step.field_name not in allowed:
                return False
            named = get_named_type(step.return_type)
            if not is_object_type(named):
                continue
            sub_plan = step.group.selections.get(named.name) or plan_subfields(executor, named, step.group)
            if not self._selection_is_pure(executor, sub_plan):
                return False
        return True


def _same(kept: tuple[Any, ...], given: tuple[Any, ...]) -> bool:
    return len(kept) == len(given) and all(map(operator.is_, kept, given))
