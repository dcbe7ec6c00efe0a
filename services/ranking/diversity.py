"""Re-ranking for diversity: no author takes more than PER_AUTHOR places in any SPAN in a row.

Greedy over the ranked order: each place goes to the best remaining post whose author has fewer
than PER_AUTHOR posts among the previous SPAN - 1 places. Per-author queues and a heap of their
heads make it O(n log authors): at most (SPAN - 1) // PER_AUTHOR authors can be blocked at once.
When the posts left come from too few authors to keep the rule (a viewer who follows two
accounts), the post whose author is least over the limit goes next (the better ranked on a
tie): hiding posts would leave a gap in the feed.
"""

from __future__ import annotations

import heapq
from collections import Counter, deque
from typing import TYPE_CHECKING, Protocol, TypeVar

if TYPE_CHECKING:
    from collections.abc import Sequence

SPAN = 10
PER_AUTHOR = 2


class ByAuthor(Protocol):
    @property
    def author_id(self) -> int: ...


PostT = TypeVar("PostT", bound=ByAuthor)


def diversify(ordered: Sequence[PostT], span: int = SPAN, per_author: int = PER_AUTHOR) -> list[PostT]:
    """`ordered` (best first, no duplicates) re-ranked so that authors alternate."""
    queues: dict[int, deque[tuple[int, PostT]]] = {}
    for rank, post in enumerate(ordered):
        queues.setdefault(post.author_id, deque()).append((rank, post))
    heads = [(queue[0][0], author) for author, queue in queues.items()]
    heapq.heapify(heads)
    recent: deque[int] = deque()  # authors of the previous span - 1 places
    placed_by: Counter[int] = Counter()
    result: list[PostT] = []
    while heads:
        blocked = []
        while heads and placed_by[heads[0][1]] >= per_author:
            blocked.append(heapq.heappop(heads))
        if heads:
            _, author = heapq.heappop(heads)
        else:
            # Every author left is at its limit here: the one least over it goes anyway
            forced = min(blocked, key=lambda head: (placed_by[head[1]], head[0]))
            blocked.remove(forced)
            author = forced[1]
        for head in blocked:
            heapq.heappush(heads, head)
        queue = queues[author]
        result.append(queue.popleft()[1])
        if queue:
            heapq.heappush(heads, (queue[0][0], author))
        recent.append(author)
        placed_by[author] += 1
        if len(recent) >= span:
            placed_by[recent.popleft()] -= 1
    return result
