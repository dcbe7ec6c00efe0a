"""Admission to the per-process document caches: a text is kept the second time it is seen.

The caches of valid documents and of query costs are keyed by query text. A client's own
operations repeat on every screen, so they are kept from their second request on. A text
sent once (what an attacker varies at will, by a comment or a space, and also what a
fuzzer or a one-off GraphiQL query sends) is never kept: it neither fills the process's
memory up to the caches' bounds, where a soak saw it grow for half an hour, nor pushes the
hot documents out. What the doorkeeper holds for the texts it saw once is their hashes, a
fixed number of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Hashable

_REMEMBERED = 4096


class Doorkeeper:
    def __init__(self, remembered: int = _REMEMBERED) -> None:
        self._remembered = remembered
        self._seen_once: dict[int, None] = {}

    def admit(self, key: Hashable) -> bool:
        """Whether to keep what `key` names: True when it was seen once already (among the
        last `remembered` first sightings), False on a first sighting, which is remembered."""
        digest = hash(key)
        if digest in self._seen_once:
            del self._seen_once[digest]
            return True
        if len(self._seen_once) >= self._remembered:
            del self._seen_once[next(iter(self._seen_once))]  # the oldest first sighting
        self._seen_once[digest] = None
        return False
