"""The per-process cache of valid documents: kept from their second sighting, lean, and
answering errors with the same locations as a fresh parse."""

from __future__ import annotations

from typing import TYPE_CHECKING

from graphql import parse

from gateway.document_gate import ValidDocuments
from gateway.doorkeeper import Doorkeeper

if TYPE_CHECKING:
    from tests.helpers import Api

QUERY = '{ user(username: "nobody") { username } }'


def test_a_document_is_kept_from_its_second_sighting_without_its_token_chain() -> None:
    cache = ValidDocuments(max_chars=64 * 1024)
    cache.put(QUERY, parse(QUERY))
    assert cache.get(QUERY) is None, "seen once: not kept"
    document = parse(QUERY)
    assert document.loc is not None
    assert document.loc.start_token is not None
    cache.put(QUERY, document)
    assert cache.get(QUERY) is document
    assert cache.held_chars == len(QUERY)
    assert document.loc.start_token is None, "the lexer's tokens are let go"
    assert (document.loc.start, document.loc.end) == (0, len(QUERY)), "offsets stay, for error locations"


def test_documents_sent_once_each_are_never_kept() -> None:
    cache = ValidDocuments(max_chars=64 * 1024)
    for index in range(5_000):
        query = f"#{index}\n{QUERY}"  # new every time, as a hostile client sends them
        cache.put(query, parse(query))
    assert cache.held_chars == 0


def test_the_doorkeeper_forgets_the_oldest_first_sightings() -> None:
    doorkeeper = Doorkeeper(remembered=3)
    assert [doorkeeper.admit(key) for key in ("a", "b", "a")] == [False, False, True]
    assert doorkeeper.admit("a") is False, "admitted once: a new first sighting"
    for key in ("c", "d", "e"):
        doorkeeper.admit(key)
    assert doorkeeper.admit("b") is False, "pushed out by three later first sightings"


async def test_errors_of_a_kept_document_have_the_locations_of_a_fresh_parse(api: Api) -> None:
    query = '{\n  viewer { id }\n  post(id: "not-an-id") { id }\n}'
    bodies = [(await api.post(query, {})).json() for _ in range(3)]  # the third is served from the cache
    assert bodies[0]["errors"], bodies[0]
    assert bodies[0]["errors"][0]["locations"] == [{"line": 3, "column": 3}]
    assert bodies[1] == bodies[0]
    assert bodies[2] == bodies[0]
