"""The planned executor against graphql-core's, over HTTP, on one seeded network.

Every request of the corpus (hand-written edge cases, a seeded walk over the schema and
hypothesis-graphql's queries) goes to two servers sharing the same services: one with
execution plans, one with GRAPHQL_EXECUTION_PLANS=0. The response bodies must be the same
bytes, errors and key order included.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import httpx
import pytest

from schema.execution import PlannedExecutor
from schema.execution.card_renders import CardRenders
from schema.root import build_schema
from tests.conftest import free_port, serving
from tests.execution_corpus import HAND_WRITTEN
from tests.execution_diff import Case, compare_case
from tests.execution_queries import UNREPEATABLE, hypothesis_corpus, walk_queries
from tests.execution_seed import seed_network

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable
    from typing import Any

    from aperture.settings import Settings
    from services.container import Services

WALKS = 120
HYPOTHESIS_EXAMPLES = 60


def corpus() -> list[Case]:
    cases = [
        *HAND_WRITTEN,
        *walk_queries(build_schema()._schema, WALKS),
        *hypothesis_corpus(HYPOTHESIS_EXAMPLES),
    ]
    # A RANKED page differs on every request by design (execution_queries.UNREPEATABLE)
    return [case for case in cases if not any(value in case.query for _, value in UNREPEATABLE)]


@pytest.fixture(scope="module")
async def stock_http(settings: Settings, services: Services) -> AsyncIterator[httpx.AsyncClient]:
    stock_settings = dataclasses.replace(settings, port=free_port(), graphql_execution_plans=False)
    async with (
        serving(stock_settings, services) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as client,
    ):
        yield client


async def differences(
    stock: httpx.AsyncClient, planned: httpx.AsyncClient, cases: list[Case], seeded: dict[str, Any]
) -> list[str]:
    found = []
    for case in cases:
        difference = await compare_case(stock, planned, case, seeded)
        if difference is not None:
            found.append(f"{case.name}: {difference}\n  {case.query}")
    return found


async def test_planned_responses_are_byte_identical(
    stock_http: httpx.AsyncClient,
    http: httpx.AsyncClient,
    services: Services,
    run_jobs: Callable[[], Awaitable[int]],
) -> None:
    seeded = await seed_network(services, run_jobs)
    cases = corpus()
    assert len(cases) >= 200
    assert await differences(stock_http, http, cases, seeded) == []


async def test_a_divergence_is_caught(
    stock_http: httpx.AsyncClient,
    http: httpx.AsyncClient,
    services: Services,
    run_jobs: Callable[[], Awaitable[int]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The same comparison against a planned executor broken on purpose (it answers
    `__typename` of nested objects wrongly) reports the difference. tests/test_execution_executor.py
    breaks null propagation the same way."""
    seeded = await seed_network(services, run_jobs)
    cases = [case for case in HAND_WRITTEN if case.name in {"viewer", "typename aliases", "post card"}]
    assert await differences(stock_http, http, cases, seeded) == []
    monkeypatch.setattr(PlannedExecutor, "execute_plan", _wrong_typename(PlannedExecutor.execute_plan))
    # Nothing completed by the broken executor may be kept for later requests
    monkeypatch.setattr(CardRenders, "complete", _complete_without_keeping)
    found = await differences(stock_http, http, cases, seeded)
    assert len(found) == 1
    assert found[0].startswith("viewer: $.data.viewer.__typename: 'User' != 'Nope'")


def _complete_without_keeping(
    _renders: CardRenders, _executor: Any, plan: Any, source: Any, path: Any, execute_plan: Any
) -> Any:
    return execute_plan(plan, source, path)


def _wrong_typename(execute_plan: Any) -> Any:
    def broken(self: PlannedExecutor, plan: Any, source: Any, path: Any) -> Any:
        result = execute_plan(self, plan, source, path)
        if isinstance(result, dict) and "__typename" in result and path is not None:
            result["__typename"] = "Nope"
        return result

    return broken
