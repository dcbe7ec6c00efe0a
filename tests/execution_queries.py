"""Generated requests for the differential test, from the schema itself.

Two generators, both deterministic so that a failure reproduces:

- `walk_queries`: a seeded random walk over the schema's types that asks for real data. It
  picks arguments from the seeded network (so that objects exist), aliases fields, wraps
  selections in inline and named fragments (also on the Node interface), adds `__typename`
  and `@skip`/`@include` on variables, and keeps connections small enough for the cost limit.
- `hypothesis_queries`: hypothesis-graphql's valid queries over the committed SDL, with
  arbitrary argument values: mostly error paths (bad ids, page sizes) and odd shapes.
"""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphql import (
    GraphQLEnumType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLUnionType,
    is_leaf_type,
)
from hypothesis import HealthCheck, given, settings
from hypothesis_graphql import queries

from resolvers.cursors import encode_cursor
from tests.execution_diff import Case

if TYPE_CHECKING:
    from graphql import GraphQLArgument, GraphQLField, GraphQLNamedType, GraphQLSchema

SDL = Path(__file__).resolve().parent.parent / "schema.graphql"
ROOT_FIELDS = ("viewer", "user", "post", "node", "nodes")
# Argument values that name seeded objects, or that are deliberately wrong
POOLS: dict[str, list[Any]] = {
    "username": ["alice", "bob", "carol", "dave", "nobody"],
    "id": ["@post0", "@post2", "@post3", "@post5", "@user_bob", "@comment0", "@missing_post", "@bad_id"],
    "first": [1, 2, 3, 0],
    "after": [None, encode_cursor(1), "junk"],
}


def _named(type_: Any) -> GraphQLNamedType:
    while isinstance(type_, (GraphQLNonNull, GraphQLList)):
        type_ = type_.of_type
    named: GraphQLNamedType = type_
    return named


# Enum values whose every request answers differently by design: each first RANKED page mints
# a snapshot, which its cursors name, and marks its posts shown (they rank lower next time)
UNREPEATABLE = {("HomeOrder", "RANKED")}


class _Walker:
    def __init__(self, schema: GraphQLSchema, rng: random.Random) -> None:
        self.schema = schema
        self.rng = rng
        self.names = 0
        self.fragments: dict[str, str] = {}
        self.uses_flag = False

    def fresh(self, prefix: str) -> str:
        self.names += 1
        return f"{prefix}{self.names}"

    def argument(self, name: str, argument: GraphQLArgument) -> str | None:
        arg_type = _named(argument.type)
        if isinstance(arg_type, GraphQLEnumType):
            value: str = self.rng.choice(
                [v for v in arg_type.values if (arg_type.name, v) not in UNREPEATABLE]
            )
            return value
        if name == "ids":
            picks = self.rng.sample(POOLS["id"], self.rng.randint(1, 4))
            return "[" + ", ".join(self.literal(v) for v in picks) + "]"
        pool = POOLS.get(name)
        if pool is None:
            return None
        value = self.rng.choice(pool)
        if value is None and isinstance(argument.type, GraphQLNonNull):
            value = pool[0]
        return None if value is None else self.literal(value)

    def literal(self, value: Any) -> str:
        if isinstance(value, str):
            return '"@' + value[1:] + '"' if value.startswith("@") else f'"{value}"'
        return str(value)

    def field(self, name: str, field: GraphQLField, depth: int) -> str:
        args = [f"{arg}: {value}" for arg, spec in field.args.items() if (value := self.argument(arg, spec))]
        text = name + (f"({', '.join(args)})" if args else "")
        # Fields with arguments or a sub-selection get a fresh alias: the same name under two
        # fragments could otherwise have arguments or types that cannot merge
        if args or not is_leaf_type(_named(field.type)) or self.rng.random() < 0.2:
            text = f"{self.fresh('a')}: {text}"
        if self.rng.random() < 0.1:
            self.uses_flag = True
            text += self.rng.choice([" @skip(if: $flag)", " @include(if: $flag)"])
        target = _named(field.type)
        if not is_leaf_type(target):
            text += " " + self.selection(target, depth + 1)
        return text

    def selection(self, type_: GraphQLNamedType, depth: int) -> str:
        parts: list[str] = []
        if isinstance(type_, (GraphQLInterfaceType, GraphQLUnionType)):
            parts.append("__typename")
            if isinstance(type_, GraphQLInterfaceType) and self.rng.random() < 0.5:
                parts.append(self.on_type(type_, depth))
            possible_types = self.rng.sample(self.schema.get_possible_types(type_), 2)
            parts.extend(self.on_type(possible, depth) for possible in possible_types)
            return "{ " + " ".join(parts) + " }"
        assert isinstance(type_, (GraphQLObjectType, GraphQLInterfaceType))
        fields = list(type_.fields.items())
        if depth > 4:  # past this depth only scalars, so queries stay within the depth and cost limits
            fields = [(n, f) for n, f in fields if is_leaf_type(_named(f.type))]
            if not fields:
                return "{ __typename }"
        for name, field in self.rng.sample(fields, min(len(fields), self.rng.randint(1, 4))):
            parts.append(self.field(name, field, depth))
        if self.rng.random() < 0.2:
            parts.insert(self.rng.randint(0, len(parts)), "__typename")
        if self.rng.random() < 0.25:
            parts.append(self.on_type(type_, depth))
        return "{ " + " ".join(parts) + " }"

    def on_type(self, type_: GraphQLNamedType, depth: int) -> str:
        body = self.selection(type_, depth + 1)
        if self.rng.random() < 0.5:
            return f"... on {type_.name} {body}"
        name = self.fresh("F")
        self.fragments[name] = f"fragment {name} on {type_.name} {body}"
        return f"...{name}"


def walk_queries(schema: GraphQLSchema, count: int, seed: int = 14) -> list[Case]:
    rng = random.Random(seed)
    query_type = schema.query_type
    assert query_type is not None
    cases = []
    for index in range(count):
        walker = _Walker(schema, rng)
        roots = rng.sample(ROOT_FIELDS, rng.randint(1, 2))
        body = " ".join(walker.field(name, query_type.fields[name], 1) for name in roots)
        header = "query($flag: Boolean!)" if walker.uses_flag else "query"
        text = f"{header} {{ {body} }} " + " ".join(walker.fragments.values())
        text, variables = _seeded_literals_as_variables(text)
        if walker.uses_flag:
            variables["flag"] = rng.random() < 0.5
            text = text.replace(
                "query($flag: Boolean!)", "query($flag: Boolean!" + _declarations(variables) + ")"
            )
        elif variables:
            text = text.replace("query", "query(" + _declarations(variables).lstrip(", ") + ")", 1)
        viewer = rng.choice(["alice", "alice", "bob", None])
        cases.append(Case(f"walk {index}", text, variables, viewer))
    return cases


def _seeded_literals_as_variables(text: str) -> tuple[str, dict[str, Any]]:
    """ "@name" literals become ID variables, so the query text is the same whatever ids the seed got."""
    variables: dict[str, Any] = {}
    while '"@' in text:
        start = text.index('"@')
        end = text.index('"', start + 1)
        name = f"v{len(variables)}"
        variables[name] = text[start + 1 : end]
        text = text[:start] + f"${name}" + text[end + 1 :]
    return text, variables


def _declarations(variables: dict[str, Any]) -> str:
    return "".join(f", ${name}: ID!" for name in variables if name != "flag")


def hypothesis_queries(count: int, fields: tuple[str, ...]) -> list[Case]:
    found: list[str] = []

    @settings(max_examples=count, derandomize=True, database=None, suppress_health_check=list(HealthCheck),
              deadline=None)  # fmt: skip
    @given(query=queries(SDL.read_text(), fields=fields, allow_x00=False, codec="utf-8"))
    def collect(query: str) -> None:
        found.append(query)

    collect()
    return [Case(f"hypothesis {index}", query, viewer="alice") for index, query in enumerate(found)]


def hypothesis_corpus(count: int) -> list[Case]:
    """Half the examples below `viewer` (real data, arbitrary arguments), half anywhere."""
    viewer_only = hypothesis_queries(count // 2, ("viewer",))
    anywhere = hypothesis_queries(count - count // 2, ROOT_FIELDS)
    return [*viewer_only, *(dataclasses.replace(case, name=case.name + " any") for case in anywhere)]
