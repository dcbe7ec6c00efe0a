"""Time-ordered 53-bit ids: a newer object gets a greater id, and ids stay exact in JSON.

Layout, high to low: 42 bits of milliseconds since 2025-01-01 (139 years),
5 bits of node id leased from Redis, 6 bits of per-millisecond sequence.
Ids below 2^53 survive a round trip through a JavaScript number.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

EPOCH_MS = 1_735_689_600_000  # 2025-01-01T00:00:00Z
NODE_BITS = 5
SEQUENCE_BITS = 6
NODE_COUNT = 1 << NODE_BITS
_SEQUENCE_MASK = (1 << SEQUENCE_BITS) - 1
_LOW_BITS = NODE_BITS + SEQUENCE_BITS
MAX_ID = (1 << 53) - 1


class IdLeaseExpiredError(RuntimeError):
    """The node id may belong to another process now: minting could duplicate its ids."""


@dataclass
class IdGenerator:
    node: int
    _last_ms: int = 0
    _sequence: int = 0

    # Monotonic time until which `node` is ours (services/id_leases.py); infinite when the
    # node is assigned by hand, as in tests against a single process
    valid_until: float = math.inf

    def __post_init__(self) -> None:
        if not 0 <= self.node < NODE_COUNT:
            raise ValueError(f"node must be in [0, {NODE_COUNT})")
        self._lock = threading.Lock()

    def assign(self, node: int, *, valid_until: float) -> None:
        if not 0 <= node < NODE_COUNT:
            raise ValueError(f"node must be in [0, {NODE_COUNT})")
        with self._lock:
            self.node = node
            self.valid_until = valid_until

    def next_id(self) -> int:
        with self._lock:
            if time.monotonic() >= self.valid_until:
                raise IdLeaseExpiredError(f"the lease of id node {self.node} has lapsed")
            now = max(int(time.time() * 1000), self._last_ms)
            if now == self._last_ms:
                self._sequence = (self._sequence + 1) & _SEQUENCE_MASK
                if self._sequence == 0:
                    # This millisecond's sequence is spent: borrow the next one
                    now += 1
            else:
                self._sequence = 0
            self._last_ms = now
            return ((now - EPOCH_MS) << _LOW_BITS) | (self.node << SEQUENCE_BITS) | self._sequence


def id_floor_for(moment: datetime) -> int:
    """The smallest id that can be minted at `moment`: lets id ranges stand for time ranges."""
    ms = int(moment.timestamp() * 1000)
    return max(ms - EPOCH_MS, 0) << _LOW_BITS


def id_time(object_id: int) -> datetime:
    return datetime.fromtimestamp(id_seconds(object_id), tz=UTC)


def id_seconds(object_id: int) -> float:
    """When the id was minted, in Unix seconds: id_time without building a datetime (for loops)."""
    return ((object_id >> _LOW_BITS) + EPOCH_MS) / 1000
