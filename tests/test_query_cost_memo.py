"""The per-process memo of query costs: right per variables, and bounded however many documents a client sends."""

from __future__ import annotations

from graphql import parse

from gateway.query_cost import CostMemo, operation_cost
from schema.root import build_schema

SCHEMA = build_schema()._schema
NESTED = (
    "query($u: String!, $n: Int!) { user(username: $u) { followers(first: $n) { edges { node { "
    "followers(first: $n) { edges { node { username } } } } } } } }"
)


def test_each_set_of_variables_is_priced_for_itself() -> None:
    memo = CostMemo(SCHEMA, max_page=100)
    document = parse(NESTED)
    for n in (5, 50, 5, 50):
        variables = {"u": "ada", "n": n}
        expected = operation_cost(SCHEMA, document, None, variables, max_page=100)
        assert memo.cost(NESTED, document, None, variables, variables) == expected
    assert memo.cost(NESTED, document, None, {"u": "ada", "n": 5}, {"u": "ada", "n": 5}) < memo.cost(
        NESTED, document, None, {"u": "ada", "n": 50}, {"u": "ada", "n": 50}
    )


def test_the_memo_holds_at_most_its_budget_of_text() -> None:
    memo = CostMemo(SCHEMA, max_page=100, max_chars=64 * 1024)
    for index in range(2_000):
        # Each document new, as a hostile client would send them; small enough to be kept
        query = f'query Q{index} {{ user(username: "u{index}") {{ username }} }}'
        memo.cost(query, parse(query), None, None, {})
    assert memo.held_chars == 0, "a document priced once is not kept"
    for index in range(2_000):
        # Each priced twice, as a client's own operations are
        query = f'query Q{index} {{ user(username: "u{index}") {{ username }} }}'
        for _ in range(2):
            memo.cost(query, parse(query), None, None, {})
        assert memo.held_chars <= 64 * 1024
    assert memo.held_chars > 32 * 1024, "it does keep documents"
    long_query = "query { " + "a: __typename " * 600 + "}"
    before = memo.held_chars
    for _ in range(2):
        memo.cost(long_query, parse(long_query), None, None, {})
    assert memo.held_chars == before, "a long document is priced, not kept"
