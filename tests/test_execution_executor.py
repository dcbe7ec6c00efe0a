"""The planned executor on a toy schema built to fail: nulls and errors in every position.

The application's data rarely breaks a non-null field, so these cases come from resolvers
written to misbehave (null for non-null, exceptions raised or returned, values a scalar
cannot represent, awaitables from sync resolvers, errors inside lists). Each query runs on
a schema with plans and on the same schema without, and the formatted results must be the
same bytes.
"""

from __future__ import annotations

import asyncio
from enum import Enum
from typing import Any, cast

import orjson
import pytest
import strawberry
from graphql import GraphQLObjectType, parse
from strawberry.extensions import ParserCache

from schema.execution import PlannedExecutor, planned_executor_class
from schema.execution.resolver_shapes import resolver_kind
from schema.execution.steps import ResolverKind
from tests.execution_diff import first_difference


@strawberry.enum
class Color(Enum):
    RED = "red"


@strawberry.interface
class Named:
    name: str


@strawberry.type
class Leaf(Named):
    name: str
    missing: str | None = None
    color: Color = Color.RED

    @strawberry.field
    def broken(self) -> str:
        raise ValueError(f"broken {self.name}")

    @strawberry.field
    def null(self) -> str:
        return None  # type: ignore[return-value]

    @strawberry.field
    def returned_error(self) -> str | None:
        return ValueError("returned, not raised")  # type: ignore[return-value]

    @strawberry.field
    def huge(self) -> int:
        return 2**40

    @strawberry.field
    def bad_enum(self) -> Color:
        return "blue"  # type: ignore[return-value]

    @strawberry.field
    def later(self) -> str:
        async def value() -> str:
            await asyncio.sleep(0)
            return f"later {self.name}"

        return value()  # type: ignore[return-value]

    @strawberry.field
    async def slow_null(self) -> str:
        await asyncio.sleep(0)
        return None  # type: ignore[return-value]

    @strawberry.field
    def shout(self, times: int = 1) -> str:
        return self.name.upper() * times

    @strawberry.field
    async def async_shout(self, times: int = 1) -> str:
        await asyncio.sleep(0)
        return self.name.upper() * times

    @strawberry.field
    async def async_broken(self) -> str:
        raise ValueError(f"async broken {self.name}")


@strawberry.type
class Other(Named):
    name: str
    size: int = 3


@strawberry.type
class Box:
    leaf: Leaf
    leaves: list[Leaf]
    maybe_leaves: list[Leaf | None] | None
    words: list[str | None]
    strict_words: list[str] | None

    @strawberry.field
    def strict_leaves(self) -> list[Leaf]:
        return [Leaf(name="a"), None]  # type: ignore[list-item]

    @strawberry.field
    async def async_leaf(self) -> Leaf:
        return Leaf(name="async")

    @strawberry.field
    def things(self) -> list[Named]:
        return [Leaf(name="l"), Other(name="o")]

    @strawberry.field
    def either(self) -> Leaf | Other:
        return Other(name="u")


def _box() -> Box:
    return Box(
        leaf=Leaf(name="one"),
        leaves=[Leaf(name="x"), Leaf(name="y")],
        maybe_leaves=[Leaf(name="m"), None],
        words=["a", None, "c"],
        strict_words=["a", None, "c"],  # type: ignore[list-item]
    )


@strawberry.type
class Query:
    @strawberry.field
    def box(self) -> Box:
        return _box()

    @strawberry.field
    def maybe_box(self) -> Box | None:
        return _box()

    @strawberry.field
    async def async_box(self) -> Box | None:
        return _box()


QUERIES = [
    "{ box { leaf { name missing color } } }",
    "{ box { leaf { name broken } } }",
    "{ maybeBox { leaf { name broken } } }",
    "{ maybeBox { leaf { null } } box { leaf { name } } }",
    "{ maybeBox { leaf { returnedError name } } }",
    "{ maybeBox { leaf { huge } } }",
    "{ maybeBox { leaf { badEnum } } }",
    "{ maybeBox { leaf { later name } leaves { later } } }",
    "{ maybeBox { leaf { slowNull } } asyncBox { leaf { name } } }",
    "{ maybeBox { leaves { name broken } } }",
    "{ maybeBox { maybeLeaves { name } } }",
    "{ maybeBox { maybeLeaves { broken } } }",
    "{ maybeBox { words strictWords } }",
    "{ maybeBox { strictLeaves { name } } }",
    "{ maybeBox { asyncLeaf { name broken later } leaf { broken } } }",
    "{ asyncBox { leaf { broken slowNull later } leaves { later broken } } }",
    "{ maybeBox { things { __typename name ... on Leaf { color } ... on Other { size } } } }",
    "{ maybeBox { either { __typename ... on Other { name size } ... on Leaf { broken } } } }",
    "{ maybeBox { leaf { a: shout b: shout(times: 2) name: shout } } }",
    "{ maybeBox { leaf { a: asyncShout b: asyncShout(times: 3) asyncBroken name } } }",
    "{ asyncBox { leaves { asyncShout(times: 2) } leaf { asyncBroken } } box { leaf { name } } }",
    "{ maybeBox { leaf { name ...on Leaf { name broken } ...F } } } fragment F on Leaf { missing name }",
    "{ a: maybeBox { leaf { broken } } b: maybeBox { leaf { null } } c: asyncBox { leaf { slowNull } } }",
    "{ maybeBox { __typename leaf { __typename } things { __typename } } }",
]


def _run(schema: strawberry.Schema, query: str) -> Any:
    async def execute() -> bytes:
        result = await schema.execute(query)
        formatted: dict[str, Any] = {"data": result.data}
        if result.errors:
            formatted["errors"] = [error.formatted for error in result.errors]
        return orjson.dumps(formatted)

    return _in_new_loop(execute())


def _in_new_loop(awaitable: Any) -> Any:
    # Each call gets a loop of its own: the tests around run in pytest-asyncio's loop
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(awaitable)
    finally:
        loop.close()


STOCK = strawberry.Schema(query=Query)
PLANNED = strawberry.Schema(query=Query, execution_context_class=planned_executor_class())


@pytest.mark.parametrize("query", QUERIES)
def test_planned_matches_graphql_core(query: str) -> None:
    expected, actual = _run(STOCK, query), _run(PLANNED, query)
    assert first_difference(expected, actual) is None, (expected, actual)


def test_the_toy_schema_does_fail() -> None:
    """The corpus above exercises what it claims: errors, and nulls that propagate."""
    body = orjson.loads(_run(STOCK, "{ box { leaf { name broken } } maybeBox { leaf { null } } }"))
    assert body["data"] is None
    assert [error["path"] for error in body["errors"]] == [["box", "leaf", "broken"]]


def test_a_broken_planned_executor_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """Null propagation dropped on purpose: the comparison must notice."""
    original = PlannedExecutor.complete_leaf_in_line

    def without_null_check(self: PlannedExecutor, step: Any, value: Any) -> Any:
        return None if value is None else original(self, step, value)

    monkeypatch.setattr(PlannedExecutor, "complete_leaf_in_line", without_null_check)
    query = "{ maybeBox { leaf { null name } } }"
    difference = first_difference(_run(STOCK, query), _run(PLANNED, query))
    # graphql-core nulls maybeBox and reports the error; the broken plan returns a null leaf silently
    assert difference == "$: keys ['data', 'errors'] != ['data']"


def test_plans_are_kept_per_document_and_directive_values() -> None:
    schema = strawberry.Schema(
        query=Query,
        execution_context_class=planned_executor_class(),
        extensions=[lambda: ParserCache(maxsize=8)],
    )
    cache = cast("Any", schema.execution_context_class).plan_cache
    document = "query($s: Boolean!) { maybeBox { leaf { name @skip(if: $s) color } } }"

    async def run(skip: bool) -> Any:
        return (await schema.execute(document, variable_values={"s": skip})).data

    assert _in_new_loop(run(True)) == {"maybeBox": {"leaf": {"color": "RED"}}}
    assert _in_new_loop(run(False)) == {"maybeBox": {"leaf": {"name": "one", "color": "RED"}}}
    assert _in_new_loop(run(True)) == {"maybeBox": {"leaf": {"color": "RED"}}}
    assert len(cache) == 1  # one parsed document, planned once per value of $s
    (entry,) = cache._operations.values()
    assert sorted(entry.by_condition_values) == [(False,), (True,)]


def test_async_resolvers_with_constant_arguments_are_planned_as_calls() -> None:
    """The async fields above are called by the plan itself, not through strawberry's wrapper
    (so the corpus compares that path), and a field with variables in its arguments is not."""
    leaf = cast("GraphQLObjectType", PLANNED._schema.type_map["Leaf"])  # graphql-core's, in strawberry's
    document = parse("query($t: Int!) { a: asyncShout(times: 2) b: asyncShout(times: $t) asyncBroken }")
    fields = document.definitions[0].selection_set.selections  # type: ignore[attr-defined]
    kinds = [resolver_kind(leaf.fields[field.name.value], [field], PLANNED) for field in fields]
    assert kinds == [ResolverKind.METHOD, ResolverKind.STOCK, ResolverKind.METHOD]
