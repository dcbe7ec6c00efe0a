"""What a job body gets from arq's context."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from services.container import Services


def services_of(ctx: dict[str, Any]) -> Services:
    services: Services = ctx["services"]
    return services
