"""The worst documents we could build, shared by the tests that refuse them, the watchdog and
bench/soak.py. Each was once expensive: fragments that spread the one below them twice double
the work of a naive walk per level, and graphql-core's OverlappingFieldsCanBeMerged compares
every pair of fields sharing a response name.
"""

from __future__ import annotations

from typing import Any


def fan_out(levels: int, on: str = "Query", leaf: str = "viewer { id }") -> str:
    """`{...F<levels>}`, where each fragment spreads the one below it twice."""
    fragments = [f"fragment F0 on {on} {{ {leaf} }}"]
    fragments += [f"fragment F{i} on {on} {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, levels + 1)]
    return f"{{ ...F{levels} }} " + " ".join(fragments)


# Documents within the token limit (1000) that cost graphql-core's validation 0.1 to 1 s each
# (at 2000 tokens), or that double their work per fragment level
HOSTILE = {
    "fragment fan-out": fan_out(20),
    "fragment fan-out under a field": "{ viewer { ...F16 } } " + fan_out(16, "User", "id").split(" ", 3)[3],
    "one field repeated": "{ viewer {" + " id" * 990 + " } }",
    "one object repeated": "{" + " viewer { id }" * 245 + " }",
    "inline fragments repeated": "{" + " ... on Query { viewer { id } }" * 90 + " }",
    "fragments spread side by side": "{ "
    + " ".join(f"...G{i}" for i in range(50))
    + " } "
    + " ".join(f"fragment G{i} on Query {{ viewer {{ id username }} }}" for i in range(50)),
    "fragment chain spread many times": "{ viewer {"
    + " ...C0" * 150
    + " } } "
    + " ".join(f"fragment C{i} on User {{ ...C{i + 1} }}" for i in range(80))
    + " fragment C80 on User { id }",
}


def _wide_user(levels: int) -> str:
    fields = "id username displayName bio followerCount followingCount postCount createdAt"
    if levels == 0:
        return fields
    inner = _wide_user(levels - 1)
    return fields + "".join(
        f" {edge}(first: 100) {{ edges {{ cursor node {{ {inner} }} }} }}"
        for edge in ("followers", "following")
    )


def hostile_requests() -> list[dict[str, Any]]:
    """Request bodies, each as costly to refuse as we could make it."""
    bodies: list[dict[str, Any]] = [{"query": query} for query in HOSTILE.values()]
    bodies += [
        {"query": fan_out(30)},
        # Nested as deep as the parser allows
        {"query": "{" + " viewer {" * 150 + " id" + " }" * 150 + " }"},
        {"query": "{ " + " ".join(f"a{i}: viewer {{ id }}" for i in range(400)) + " }"},
        # Just under the document size limit, most of it one string literal
        {"query": '{ user(username: "' + "x" * 16_000 + '") { id } }'},
        # Over it: refused before lexing
        {"query": '{ user(username: "' + "x" * 900_000 + '") { id } }'},
        # The largest valid document the limits let through: validated in full, then priced
        {"query": "{ viewer { " + _wide_user(3) + " } }"},
        # Variables: 10,000 ids (as many as the body limit lets in), and deep nesting
        {
            "query": "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
            "variables": {"ids": ["VXNlcjox"] * 10_000},
        },
        {
            "query": "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
            "variables": {"ids": [[[["x"] * 50] * 50] * 10]},
        },
    ]
    return bodies
