"""PyMongo's async call shapes over litemongo, the embedded MongoDB stand-in.

Services are written against ``pymongo.AsyncMongoClient``. When no real MongoDB
is configured this module supplies a handle with the same shapes, backed by
litemongo (mongomock's engine with SQLite storage and indexes).

litemongo is synchronous and its SQLite connections belong to the thread that
opened them, so every call runs on one dedicated thread. That keeps the event
loop free for Redis-only requests while a query is evaluated.
"""

from __future__ import annotations

import asyncio
import functools
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, Self
from urllib.parse import urlparse

from bson import ObjectId

from aperture.embedded.engine_calls import (
    AGGREGATE,
    FIND,
    LIST_COLLECTIONS,
    PING,
    EngineCall,
    FindSpec,
    execute,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Sequence

    from aperture.mongo_stats import CommandStats

LITEMONGO_SCHEMES = ("litemongo", "litemongo+memory")
_SWITCH_INTERVAL_S = 0.001


def is_litemongo_url(url: str) -> bool:
    return urlparse(url).scheme in LITEMONGO_SCHEMES


class EngineClient(Protocol):
    """Where engine calls run: a thread of this process, or the stand-in's own process."""

    stats: CommandStats | None

    async def call(self, command: str, call: EngineCall) -> Any: ...

    async def close(self) -> None: ...


class LiteClientShapes:
    """The part of AsyncMongoClient's shape that hands out databases."""

    engine: EngineClient

    def get_database(self, name: str) -> LiteDatabase:
        return LiteDatabase(self.engine, name)

    def __getitem__(self, name: str) -> LiteDatabase:
        return self.get_database(name)


class SyncEngineClient(LiteClientShapes):
    """Runs a synchronous pymongo-compatible engine on its own thread, with async call shapes."""

    def __init__(self, open_engine: Callable[[], Any], stats: CommandStats | None = None) -> None:
        self._open_engine = open_engine
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mongo-engine")
        self._client: Any = None
        self._closed = False
        self.stats = stats
        self.engine = self

    async def call(self, command: str, call: EngineCall) -> Any:
        if self._closed:
            raise RuntimeError("litemongo client is closed")
        if self._client is None:
            raise RuntimeError("call start() first")
        if self.stats is not None:
            self.stats.record(command)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, execute, self._client, call)

    async def start(self) -> Self:
        # The engine thread runs pure-Python queries; a shorter GIL switch interval (default
        # 5 ms) lets the event loop thread serve Redis-only requests in between.
        sys.setswitchinterval(min(sys.getswitchinterval(), _SWITCH_INTERVAL_S))
        loop = asyncio.get_running_loop()
        self._client = await loop.run_in_executor(self._executor, self._open_engine)
        return self

    @property
    def engine_client(self) -> Any:
        """The synchronous engine itself, for benchmarks that inspect its planner."""
        return self._client

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        loop = asyncio.get_running_loop()
        if self._client is not None:
            await loop.run_in_executor(self._executor, self._client.close)
        self._executor.shutdown(wait=True)


class LiteMongoClient(SyncEngineClient):
    """litemongo behind the async shapes.

    ``litemongo:///abs/path`` stores data as SQLite files under that directory, so
    several processes can share it. ``litemongo+memory://name`` keeps data in this
    process only (tests).
    """

    def __init__(self, url: str, stats: CommandStats | None = None) -> None:
        parsed = urlparse(url)
        if parsed.scheme not in LITEMONGO_SCHEMES:
            raise ValueError(f"not a litemongo URL: {url!r}")
        memory = parsed.scheme == "litemongo+memory"
        location = parsed.netloc + parsed.path
        super().__init__(functools.partial(open_litemongo, memory=memory, location=location), stats)


def open_litemongo(*, memory: bool, location: str) -> Any:
    # Imported here so that deployments on real MongoDB never load the emulator.
    import litemongo  # noqa: PLC0415
    from litemongo._vendor import mongomock  # noqa: PLC0415
    from litemongo._vendor.mongomock import store as mongomock_store  # noqa: PLC0415

    from aperture.embedded.litemongo_files import SharedServerStore  # noqa: PLC0415

    if memory:
        # litemongo's own client closes its store, which the memory store cannot do
        return mongomock.MongoClient(_store=mongomock_store.ServerStore(), tz_aware=True)
    return litemongo.MongoClient(SharedServerStore(Path(location)), tz_aware=True)


class LiteDatabase:
    def __init__(self, client: EngineClient, name: str) -> None:
        self.client = client
        self.name = name

    def __getitem__(self, name: str) -> LiteCollection:
        return LiteCollection(self.client, name, self)

    def get_collection(self, name: str) -> LiteCollection:
        return self[name]

    async def command(self, command: str | dict[str, Any]) -> dict[str, Any]:
        name = command if isinstance(command, str) else next(iter(command))
        if name != "ping":
            raise NotImplementedError(f"only ping is supported, not {name!r}")
        await self.client.call("ping", EngineCall(self.name, "", PING))
        return {"ok": 1.0}

    async def warm(self) -> None:
        """Build the engine's in-memory query indexes now, rather than on the first request.

        litemongo rebuilds them lazily after a restart or a bulk load, at a few seconds per
        hundred thousand documents.
        """
        for name in await self.list_collection_names():
            await self[name].find_one({"_warm_": True})

    async def list_collection_names(self) -> list[str]:
        names: list[str] = await self.client.call(
            "listCollections", EngineCall(self.name, "", LIST_COLLECTIONS)
        )
        return names


class LiteCollection:
    def __init__(self, client: EngineClient, name: str, database: LiteDatabase) -> None:
        self._client = client
        self.database = database
        self.name = name

    async def _run(self, command: str, method: str, *args: Any, **kwargs: Any) -> Any:
        return await self._client.call(
            command, EngineCall(self.database.name, self.name, method, args, kwargs)
        )

    async def insert_one(self, document: dict[str, Any], **kwargs: Any) -> Any:
        _give_id(document)
        return await self._run("insert", "insert_one", document, **kwargs)

    async def insert_many(self, documents: Sequence[dict[str, Any]], **kwargs: Any) -> Any:
        for document in documents:
            _give_id(document)
        return await self._run("insert", "insert_many", list(documents), **kwargs)

    async def update_one(self, filter: dict[str, Any], update: Any, **kwargs: Any) -> Any:
        return await self._run("update", "update_one", filter, update, **kwargs)

    async def update_many(self, filter: dict[str, Any], update: Any, **kwargs: Any) -> Any:
        return await self._run("update", "update_many", filter, update, **kwargs)

    async def replace_one(self, filter: dict[str, Any], replacement: dict[str, Any], **kwargs: Any) -> Any:
        return await self._run("update", "replace_one", filter, replacement, **kwargs)

    async def find_one_and_update(self, filter: dict[str, Any], update: Any, **kwargs: Any) -> Any:
        return await self._run("findAndModify", "find_one_and_update", filter, update, **kwargs)

    async def find_one_and_delete(self, filter: dict[str, Any], **kwargs: Any) -> Any:
        return await self._run("findAndModify", "find_one_and_delete", filter, **kwargs)

    async def delete_one(self, filter: dict[str, Any], **kwargs: Any) -> Any:
        return await self._run("delete", "delete_one", filter, **kwargs)

    async def delete_many(self, filter: dict[str, Any], **kwargs: Any) -> Any:
        return await self._run("delete", "delete_many", filter, **kwargs)

    async def bulk_write(self, requests: Sequence[Any], **kwargs: Any) -> Any:
        return await self._run("bulkWrite", "bulk_write", list(requests), **kwargs)

    async def count_documents(self, filter: dict[str, Any], **kwargs: Any) -> int:
        count: int = await self._run("aggregate", "count_documents", filter, **kwargs)
        return count

    async def estimated_document_count(self) -> int:
        count: int = await self._run("count", "estimated_document_count")
        return count

    async def distinct(self, key: str, filter: dict[str, Any] | None = None) -> list[Any]:
        values: list[Any] = await self._run("distinct", "distinct", key, filter)
        return values

    async def find_one(self, filter: dict[str, Any] | None = None, *args: Any, **kwargs: Any) -> Any:
        return await self._run("find", "find_one", filter, *args, **kwargs)

    def find(self, filter: dict[str, Any] | None = None, projection: Any = None, **kwargs: Any) -> LiteCursor:
        return LiteCursor(self, filter, projection, kwargs)

    async def aggregate(self, pipeline: Sequence[dict[str, Any]], **kwargs: Any) -> LiteResultCursor:
        return LiteResultCursor(await self._run("aggregate", AGGREGATE, list(pipeline), **kwargs))

    async def create_index(self, keys: Any, **kwargs: Any) -> str:
        name: str = await self._run("createIndexes", "create_index", keys, **kwargs)
        return name

    async def drop(self) -> None:
        await self._run("drop", "drop")


def _give_id(document: dict[str, Any]) -> None:
    # PyMongo gives a new document its _id on the caller's side, and callers may read it back;
    # an engine in another process could not, so the adapter does it as PyMongo does.
    if "_id" not in document:
        document["_id"] = ObjectId()


class LiteResultCursor:
    """An already evaluated result, shaped like pymongo's AsyncCommandCursor."""

    def __init__(self, documents: list[Any]) -> None:
        self._documents = documents

    async def to_list(self, length: int | None = None) -> list[Any]:
        return self._documents if length is None else self._documents[:length]

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Any]:
        for document in self._documents:
            yield document


class LiteCursor:
    """The chaining part of pymongo's AsyncCursor: sort, skip, limit, then to_list."""

    def __init__(
        self,
        collection: LiteCollection,
        filter_: dict[str, Any] | None,
        projection: Any,
        options: dict[str, Any],
    ) -> None:
        self._collection = collection
        self._filter = filter_
        self._projection = projection
        self._sort: list[tuple[str, int]] | None = options.pop("sort", None)
        self._limit: int = options.pop("limit", 0)
        self._skip: int = options.pop("skip", 0)
        if options:
            raise NotImplementedError(f"unsupported find options: {sorted(options)}")

    def sort(self, key_or_list: str | list[tuple[str, int]], direction: int = 1) -> Self:
        self._sort = [(key_or_list, direction)] if isinstance(key_or_list, str) else list(key_or_list)
        return self

    def limit(self, limit: int) -> Self:
        self._limit = limit
        return self

    def skip(self, skip: int) -> Self:
        self._skip = skip
        return self

    def batch_size(self, _size: int) -> Self:
        return self

    async def to_list(self, length: int | None = None) -> list[Any]:
        limit = self._limit
        if length is not None and (not limit or length < limit):
            limit = length
        spec = FindSpec(self._filter, self._projection, self._sort, self._skip, limit)
        documents: list[Any] = await self._collection._run("find", FIND, spec)  # noqa: SLF001 - one class family
        return documents

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Any]:
        for document in await self.to_list():
            yield document
