"""Several processes opening one fresh litemongo data directory at the same moment.

This is what `aperture serve` (API plus worker) and the two-API test deployments do at
startup, when every process ensures its indexes. Unguarded, litemongo let some of them fail
with FileExistsError, a UNIQUE constraint error or "database is locked".
"""

from __future__ import annotations

import asyncio
import multiprocessing
from typing import TYPE_CHECKING

from aperture.embedded.litemongo_adapter import LiteMongoClient
from aperture.embedded.litemongo_files import PAGE_CACHE_KIB, SharedServerStore

if TYPE_CHECKING:
    from pathlib import Path

PROCESSES = 4
COLLECTIONS = 8


def _open_and_write(location: str, process_no: int, start: object, results: object) -> None:
    async def run() -> str:
        client = await LiteMongoClient(f"litemongo://{location}").start()
        start.wait()  # type: ignore[attr-defined]
        try:
            for n in range(COLLECTIONS):
                collection = client["aperture"][f"c{n}"]
                await collection.create_index([("owner", 1)], name="owner")
                await collection.insert_one({"owner": process_no})
        except Exception as error:  # reported back to the test, which names it
            return repr(error)
        finally:
            await client.close()
        return "ok"

    results.put(asyncio.run(run()))  # type: ignore[attr-defined]


def test_processes_opening_one_new_directory_together_all_succeed(tmp_path: Path) -> None:
    spawn = multiprocessing.get_context("spawn")
    for trial in range(3):
        location = tmp_path / f"trial{trial}"
        start = spawn.Barrier(PROCESSES)
        results = spawn.Queue()
        processes = [
            spawn.Process(target=_open_and_write, args=(str(location), n, start, results))
            for n in range(PROCESSES)
        ]
        for process in processes:
            process.start()
        outcomes = [results.get(timeout=60) for _ in processes]
        for process in processes:
            process.join(timeout=30)
        assert outcomes == ["ok"] * PROCESSES

        async def owners(n: int, location: Path = location) -> list[int]:
            client = await LiteMongoClient(f"litemongo://{location}").start()
            try:
                documents = await client["aperture"][f"c{n}"].find({}).to_list()
            finally:
                await client.close()
            return sorted(document["owner"] for document in documents)

        for n in range(COLLECTIONS):
            assert asyncio.run(owners(n)) == list(range(PROCESSES))


def test_each_collection_file_keeps_a_small_page_cache(tmp_path: Path) -> None:
    # One SQLite connection per collection: at SQLite's default of 2 MB each, the stand-in's
    # caches grew the process that embeds it for as long as its data grew
    store = SharedServerStore(tmp_path)
    for name in ("posts", "likes", "comments"):
        connection = store["aperture"][name]._connection
        assert connection.execute("PRAGMA cache_size").fetchone() == (-PAGE_CACHE_KIB,)
