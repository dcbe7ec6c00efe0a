"""Runs one GraphQL request against the stock and the planned executor and compares the bytes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tests.helpers import GRAPHQL_ACCEPT

if TYPE_CHECKING:
    import httpx


@dataclass(frozen=True)
class Case:
    """One request of the corpus. Variable values starting with "@" name a seeded value."""

    name: str
    query: str
    variables: dict[str, Any] = field(default_factory=dict)
    viewer: str | None = "alice"


def first_difference(expected: bytes, actual: bytes) -> str | None:
    """None when the two bodies are byte-identical, else where they first differ, as a JSON path
    when both parse (key order included), or as a byte offset."""
    if expected == actual:
        return None
    try:
        left, right = json.loads(expected), json.loads(actual)
    except ValueError:
        offset = next((i for i, (a, b) in enumerate(zip(expected, actual, strict=False)) if a != b), None)
        return f"bodies differ at byte {offset if offset is not None else min(len(expected), len(actual))}"
    return _diff(left, right, "$") or "same JSON value, different bytes (spacing or escaping)"


def _diff(left: Any, right: Any, path: str) -> str | None:
    if isinstance(left, dict) and isinstance(right, dict):
        if list(left) != list(right):
            return f"{path}: keys {list(left)} != {list(right)}"
        pairs = [(f"{path}.{key}", left[key], right[key]) for key in left]
    elif isinstance(left, list) and isinstance(right, list):
        if len(left) != len(right):
            return f"{path}: {len(left)} items != {len(right)} items"
        pairs = [(f"{path}[{index}]", a, b) for index, (a, b) in enumerate(zip(left, right, strict=True))]
    else:
        same = left == right and type(left) is type(right)
        return None if same else f"{path}: {left!r} != {right!r}"
    return next((found for where, a, b in pairs if (found := _diff(a, b, where))), None)


def resolve_variables(variables: dict[str, Any], seeded: dict[str, Any]) -> dict[str, Any]:
    def value(raw: Any) -> Any:
        if isinstance(raw, str) and raw.startswith("@"):
            return seeded[raw[1:]]
        if isinstance(raw, list):
            return [value(item) for item in raw]
        return raw

    return {name: value(raw) for name, raw in variables.items()}


# Repeats of a request whose answer from graphql-core differs from the planned one
RETRIES = 24


async def compare_case(
    stock: httpx.AsyncClient, planned: httpx.AsyncClient, case: Case, seeded: dict[str, Any]
) -> str | None:
    """Where the planned executor's response differs from graphql-core's, or None.

    graphql-core puts the errors of concurrent async resolvers in the order they fail, which
    can hang on when Redis replies: some requests get more than one answer from graphql-core
    itself. So a planned answer that differs is checked against graphql-core's answers to
    repeats of the request; it passes only if it is byte for byte one of them. A request that
    graphql-core always answers the same way must get that answer.

    The planned request is sent twice: the repeat may be answered from kept post cards
    (schema/execution/card_renders.py), and must be just as right.
    """
    payload: dict[str, Any] = {"query": case.query}
    if case.variables:
        payload["variables"] = resolve_variables(case.variables, seeded)
    headers = {"x-request-id": "differential-1", "Accept": GRAPHQL_ACCEPT}
    if case.viewer is not None:
        headers["Authorization"] = f"Bearer {seeded['tokens'][case.viewer]}"

    async def answer(client: httpx.AsyncClient) -> tuple[int, bytes]:
        response = await client.post("/graphql", json=payload, headers=headers)
        return response.status_code, response.content

    expected = await answer(stock)
    observed = {expected}
    for repeat in ("", " (repeated)"):
        actual = await answer(planned)
        for attempt in range(RETRIES):
            if actual in observed:
                break
            observed.add(await answer(stock))
            if len(observed) > 1 and attempt % 4 == 3:
                actual = await answer(planned)  # graphql-core varies here: the planned answer may too
        if actual in observed:
            continue
        if expected[0] != actual[0]:
            return f"status {expected[0]} != {actual[0]}{repeat}"
        return f"{first_difference(expected[1], actual[1])}{repeat}"
    return None
