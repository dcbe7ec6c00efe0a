"""What the gateway keeps per process besides the domain services: its limits and its caches."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from gateway.persisted_queries import PersistedQueries
from gateway.rate_limits import RateLimiter, parse_budgets

if TYPE_CHECKING:
    from starlette.requests import HTTPConnection

    from services.container import Services


@dataclass(frozen=True)
class GatewayState:
    rate_limits: RateLimiter
    persisted_queries: PersistedQueries

    @classmethod
    def for_services(cls, services: Services) -> GatewayState:
        redis = services.stores.redis
        return cls(
            rate_limits=RateLimiter(
                redis, parse_budgets(services.settings.rate_limits), turns=services.stores.turns
            ),
            persisted_queries=PersistedQueries(redis),
        )


def gateway_of(connection: HTTPConnection) -> GatewayState:
    state: GatewayState = connection.app.state.gateway
    return state
