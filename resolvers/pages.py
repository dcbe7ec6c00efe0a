"""What connection resolvers return: a page of nodes with their keyset positions.

The schema turns a page into a Relay connection (cursors, edges, page info); resolvers only
decide what is on the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from datetime import datetime

NodeT = TypeVar("NodeT")


@dataclass(frozen=True, slots=True)
class Edge(Generic[NodeT]):
    key: int  # the keyset position, which the edge's cursor encodes
    node: NodeT
    since: datetime | None = None  # when the relation began (a follow, a like)


@dataclass(frozen=True, slots=True)
class EdgePage(Generic[NodeT]):
    edges: list[Edge[NodeT]]
    # Every position the page covered, also of nodes that vanished meanwhile (a deleted
    # account), so that the page's end cursor still moves past them
    keys: list[int]
    has_next: bool
    has_previous: bool
