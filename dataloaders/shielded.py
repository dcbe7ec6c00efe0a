"""The base of every loader: a caller that is cancelled does not cancel the others.

A DataLoader hands every caller of one key the same future. graphql-core cancels the sibling
fields of a non-null field that failed, and cancelling a task cancels the future it awaits:
with a shared future, that cancelled the other fields waiting for the same key, and the
CancelledError escaped the request (an HTTP 500). Each caller now awaits a shield of the
shared future, so a cancellation stops only the caller.

A page hydrated before GraphQL walks it knows all its keys at once: `load_batch` calls the
batch function once for them and primes the cache, without a future and a shield per key
(which cost more than the Redis reads of a page).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, TypeVar, cast

from strawberry.dataloader import DataLoader, DefaultCache

if TYPE_CHECKING:
    from collections.abc import Awaitable, Sequence

KeyT = TypeVar("KeyT")
ValueT = TypeVar("ValueT")


class ShieldedLoader(DataLoader[KeyT, ValueT]):
    def load(self, key: KeyT) -> Awaitable[ValueT]:
        return asyncio.shield(super().load(key))

    async def load_batch(self, keys: Sequence[KeyT], *, keep: bool = True) -> list[ValueT]:
        """Values in key order: keys loaded before in this request come from the cache, the
        rest from one call of the batch function, and are cached for later fields (unless
        `keep` is False: a page that holds its values itself saves a future per key)."""
        cache = self.cache_map
        if isinstance(cache, DefaultCache) and not cache.cache_map:
            # The usual case for a page: nothing loaded yet in this request, so no key is asked
            # of the cache (two calls each, for 21 posts and 4 loaders a page)
            cached: dict[KeyT, Awaitable[ValueT]] = {}
            missing = list(dict.fromkeys(keys))
        else:
            cached = {key: future for key in keys if (future := cache.get(key)) is not None}
            missing = list(dict.fromkeys(key for key in keys if key not in cached))
        values: list[ValueT] = []
        if missing:
            raw = list(await self.load_fn(missing))
            for value in raw:
                if isinstance(value, BaseException):
                    raise value  # what awaiting its future would have raised
            values = cast("list[ValueT]", raw)  # no exception among them
            if keep:
                self.prime_many(dict(zip(missing, values, strict=True)))
        if len(missing) == len(keys):  # no key cached and none asked twice: the values are the answer
            return values
        loaded = dict(zip(missing, values, strict=True))
        return [loaded[key] if key in loaded else await _value(cached[key]) for key in keys]


async def _value(future: Awaitable[ValueT]) -> ValueT:
    """A cached future's value: read directly once it is done (the usual case here), else awaited
    through a shield, like `load`."""
    if isinstance(future, asyncio.Future) and future.done():
        result: ValueT = future.result()
        return result
    return await asyncio.shield(future)
