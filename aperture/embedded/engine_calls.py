"""One call on a synchronous pymongo-compatible engine, as plain data.

The async adapter describes each call (database, collection, operation, arguments) instead
of holding the engine's objects, so the same call runs on an engine thread in this process
or, pickled, in the stand-in's own process (`engine_process.py`).
"""

from __future__ import annotations

import pickle
import struct
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    import asyncio


class EngineCall(NamedTuple):
    database: str
    collection: str
    # a collection method's name, or one of the operations handled in execute()
    operation: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = {}  # noqa: RUF012 - NamedTuple defaults are not shared-mutated: never written


# Operations that are not one collection method
FIND = "$find"
AGGREGATE = "$aggregate"
LIST_COLLECTIONS = "$list_collections"
PING = "$ping"


def execute(engine: Any, call: EngineCall) -> Any:
    if call.operation == PING:
        return None
    database = engine[call.database]
    if call.operation == LIST_COLLECTIONS:
        return database.list_collection_names()
    collection = database[call.collection]
    if call.operation == FIND:
        return _find(collection, FindSpec(*call.args[0]))
    if call.operation == AGGREGATE:
        return list(collection.aggregate(*call.args, **call.kwargs))
    if call.operation.startswith(("_", "$")):
        raise ValueError(f"not an engine operation: {call.operation!r}")
    return getattr(collection, call.operation)(*call.args, **call.kwargs)


class FindSpec(NamedTuple):
    filter: dict[str, Any] | None
    projection: Any
    sort: list[tuple[str, int]] | None
    skip: int
    limit: int


def _find(collection: Any, spec: FindSpec) -> list[Any]:
    cursor = collection.find(spec.filter, spec.projection)
    if spec.sort:
        cursor = cursor.sort(spec.sort)
    # mongomock's cursor re-slices its whole result list on every next() when a limit or
    # skip is set, which is quadratic; materialize once and slice here instead.
    compute = getattr(cursor, "_compute_results", None)
    results: list[Any] = list(compute(with_limit_and_skip=False)) if compute else list(cursor)
    end = spec.skip + spec.limit if spec.limit else None
    return results[spec.skip : end]


# A frame on the stand-in's socket: a 4-byte big-endian length, then a pickle. The socket is
# a file readable by this user only (the same trust as the data directory itself).
_LENGTH = struct.Struct("!I")


def encode_frame(message: object) -> bytes:
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return _LENGTH.pack(len(payload)) + payload


async def read_frame(reader: asyncio.StreamReader) -> Any:
    (length,) = _LENGTH.unpack(await reader.readexactly(_LENGTH.size))
    return pickle.loads(await reader.readexactly(length))  # noqa: S301 - our own child process, 0600 socket
