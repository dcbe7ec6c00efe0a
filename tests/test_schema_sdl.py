"""The committed SDL is the schema the code builds. Regenerate with `aperture schema > schema.graphql`."""

from __future__ import annotations

from pathlib import Path

from graphql import GraphQLList, GraphQLNonNull, GraphQLObjectType, get_named_type

from schema.root import build_schema, print_sdl

SDL_PATH = Path(__file__).resolve().parent.parent / "schema.graphql"
# Small lists with a hard cap in the domain; everything else must be a connection
BOUNDED_LISTS = {
    "errors",
    "nodes",
    "hashtags",
    "mentions",
    "media",
    "fields",
    "headers",
    "actors",
    "followedBy",
}


def test_committed_sdl_matches_the_code() -> None:
    committed = SDL_PATH.read_text()
    assert committed == print_sdl(), (
        "schema.graphql is stale: run `.venv/bin/aperture schema > schema.graphql`"
    )


def _is_list(field_type: object) -> bool:
    while isinstance(field_type, GraphQLNonNull):
        field_type = field_type.of_type
    return isinstance(field_type, GraphQLList)


def test_lists_are_connections_with_a_required_bounded_first() -> None:
    schema = build_schema()._schema
    for type_name, graphql_type in schema.type_map.items():
        if not isinstance(graphql_type, GraphQLObjectType) or type_name.startswith("__"):
            continue
        for field_name, field in graphql_type.fields.items():
            returned = get_named_type(field.type)
            if returned.name.endswith("Connection"):
                first = field.args.get("first")
                assert first is not None, f"{type_name}.{field_name} has no `first`"
                assert isinstance(first.type, GraphQLNonNull), (
                    f"{type_name}.{field_name}: `first` must be required"
                )
            elif _is_list(field.type):
                allowed = field_name in BOUNDED_LISTS or (
                    field_name == "edges" and type_name.endswith("Connection")
                )
                assert allowed, f"unbounded list field {type_name}.{field_name}"
