"""Counts MongoDB commands, from pymongo's monitoring or the embedded adapter.

Tests use it to prove that hydrating a page costs a fixed number of commands.
"""

from __future__ import annotations

from collections import Counter

from pymongo import monitoring


class CommandStats:
    def __init__(self) -> None:
        self.by_command: Counter[str] = Counter()

    def record(self, command: str) -> None:
        self.by_command[command] += 1

    @property
    def total(self) -> int:
        return sum(self.by_command.values())

    def reset(self) -> None:
        self.by_command.clear()


class CommandStatsListener(monitoring.CommandListener):
    """Feeds pymongo's command events into CommandStats."""

    _IGNORED = frozenset({"hello", "ismaster", "isMaster", "endSessions", "saslStart", "saslContinue"})

    def __init__(self, stats: CommandStats) -> None:
        self._stats = stats

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name not in self._IGNORED:
            self._stats.record(event.command_name)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass
