"""Static document limits: hostile documents are refused quickly, with a code, and at a price.

Each hostile document here once held the event loop for a long time: fragments spreading
the previous one twice double the work per level, and graphql-core's
OverlappingFieldsCanBeMerged compares every pair of fields sharing a response name.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

import pytest
from graphql import get_introspection_query, parse

from gateway.document_limits import DocumentLimits, check_document
from tests.hostile_documents import HOSTILE

if TYPE_CHECKING:
    import httpx

    from tests.helpers import Api

GRJ = "application/graphql-response+json"


async def refused(http: httpx.AsyncClient, query: str) -> tuple[dict[str, object], float]:
    started = time.perf_counter()
    response = await http.post("/graphql", json={"query": query}, headers={"accept": GRJ})
    elapsed = time.perf_counter() - started
    assert response.status_code == 400, response.text[:500]
    body: dict[str, object] = response.json()
    assert "data" not in body
    return body, elapsed


@pytest.mark.parametrize("name", sorted(HOSTILE))
async def test_hostile_documents_are_refused_quickly_with_a_code(
    http: httpx.AsyncClient, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    body, elapsed = await refused(http, HOSTILE[name])
    errors = body["errors"]
    assert isinstance(errors, list)
    assert errors[0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED", errors
    # The checks take milliseconds; the bound leaves room for a loaded machine
    assert elapsed < 1.0, f"{name} took {elapsed:.2f} s"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_checking_is_linear_in_the_document() -> None:
    """The same check, without HTTP: milliseconds for every hostile document."""
    limits = DocumentLimits(max_depth=12, max_aliases=30)
    for name, query in HOSTILE.items():
        document = parse(query, max_tokens=1000)
        started = time.perf_counter()
        errors = check_document(document, limits)
        elapsed = time.perf_counter() - started
        assert errors, name
        assert elapsed < 0.05, f"{name}: {elapsed * 1000:.1f} ms"


async def test_an_unknown_fragment_is_a_validation_error_not_a_crash(
    http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    body, _ = await refused(http, "{ ...Nope }")
    error = body["errors"][0]  # type: ignore[index]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "Unknown fragment 'Nope'" in error["message"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize(
    "query",
    [
        "{ ...A } fragment A on Query { ...A }",
        "{ ...A } fragment A on Query { viewer { id } ...B } fragment B on Query { ...A }",
        "{ viewer { id } } fragment A on Query { ...B } fragment B on Query { ...A }",
    ],
)
async def test_fragment_cycles_are_refused(http: httpx.AsyncClient, query: str) -> None:
    body, elapsed = await refused(http, query)
    error = body["errors"][0]  # type: ignore[index]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "within itself" in error["message"]
    assert elapsed < 1.0


async def test_long_strings_are_refused_before_they_are_lexed(http: httpx.AsyncClient) -> None:
    query = '{ user(username: "' + "a" * 100_000 + '") { id } }'  # within the body limit
    body, elapsed = await refused(http, query)
    error = body["errors"][0]  # type: ignore[index]
    assert error["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    assert "characters" in error["message"]
    assert elapsed < 1.0


async def test_huge_variable_lists_are_refused_before_they_are_coerced(api: Api) -> None:
    response = await api.post(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
        {"ids": ["VXNlcjox"] * 10_000},  # just under the 128 KiB body limit
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_documents_real_clients_send_still_pass(api: Api) -> None:
    introspection = await api.post(get_introspection_query(descriptions=True))
    assert introspection.status_code == 200, introspection.text[:300]
    relay_style = (
        "query Home { viewer { ...Header ...Avatar ...Counts } } "
        "fragment Header on User { id username displayName ...Avatar } "
        "fragment Avatar on User { id username } "
        "fragment Counts on User { id followerCount followingCount postCount }"
    )
    response = await api.post(relay_style)
    assert response.status_code == 200, response.text[:300]
    assert response.json()["data"] == {"viewer": None}
