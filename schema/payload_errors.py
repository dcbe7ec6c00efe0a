"""Expected failures of a mutation become payload errors; anything else propagates (and is masked)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, TypeVar

from schema.types.common import UserError
from services.foundation.errors import DomainError

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable


class _Payload(Protocol):
    def __init__(self, *, errors: list[UserError]) -> None: ...


PayloadT = TypeVar("PayloadT", bound=_Payload)
ResultT = TypeVar("ResultT")


async def as_payload(
    payload_type: type[PayloadT], outcome: Awaitable[ResultT], build: Callable[[ResultT], PayloadT]
) -> PayloadT:
    """The payload `build` makes of the resolver's `outcome`, or one carrying its DomainError."""
    try:
        result = await outcome
    except DomainError as error:
        return payload_type(errors=[UserError.from_domain(error)])
    return build(result)
