"""The reactions table covers every event a domain publishes, and every counted field."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from typing import TYPE_CHECKING

import services as services_package
from services.foundation.events import DomainEvent
from services.reactions import UNHANDLED

if TYPE_CHECKING:
    from services.container import Services


def domain_events() -> set[type[DomainEvent]]:
    for module in pkgutil.walk_packages(services_package.__path__, "services."):
        importlib.import_module(module.name)
    # A slots dataclass is a new class; the one it replaced may linger in __subclasses__
    return {
        event
        for event in DomainEvent.__subclasses__()
        if event.__module__.startswith("services.")
        and getattr(sys.modules[event.__module__], event.__name__, None) is event
    }


def test_every_domain_event_is_reacted_to_or_listed_as_unhandled(services: Services) -> None:
    events = domain_events()
    assert len(events) >= 15
    silent = {event for event in events if services.bus.subscribers(event) == 0}
    assert silent == set(UNHANDLED)


def test_every_counted_field_has_an_exact_counter(services: Services) -> None:
    assert services.counters.missing_exact_counters() == []
