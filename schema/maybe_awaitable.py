"""Mapping a value that may still be awaited, so hydrated fields stay synchronous."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

ValueT = TypeVar("ValueT")
ResultT = TypeVar("ResultT")


def map_maybe(
    value: ValueT | Awaitable[ValueT], convert: Callable[[ValueT], ResultT]
) -> ResultT | Awaitable[ResultT]:
    """`convert(value)` now when the value is at hand; an awaitable of it when it must be loaded.
    graphql-core accepts either from a resolver, and the synchronous path costs no task."""
    if inspect.isawaitable(value):
        return _later(value, convert)
    return convert(value)


async def _later(value: Awaitable[ValueT], convert: Callable[[ValueT], ResultT]) -> ResultT:
    return convert(await value)
