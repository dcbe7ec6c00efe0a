"""The MongoDB stand-in in its own process (`aperture serve`'s default), as a client sees it.

The query semantics are covered by the contract tests, which run on this backend too; these
tests cover what a process boundary adds: errors keep their PyMongo types, a dead engine
fails calls promptly instead of stalling them, the socket is private, and the engine never
outlives the process that started it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pymongo.errors import AutoReconnect, BulkWriteError, DuplicateKeyError, PyMongoError

from aperture.embedded.engine_process import EmbeddedEngine, EngineProcessClient
from tests.processes import alive

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[EmbeddedEngine]:
    started = await EmbeddedEngine(tmp_path / "mongo").start()
    yield started
    await started.stop()


async def test_errors_cross_the_process_with_their_pymongo_type_and_details(engine: EmbeddedEngine) -> None:
    client = await EngineProcessClient(engine.url).start()
    try:
        users = client["aperture"]["users"]
        await users.create_index([("username", 1)], unique=True)
        await users.insert_one({"username": "alice"})
        with pytest.raises(DuplicateKeyError) as duplicate:
            await users.insert_one({"username": "alice"})
        assert duplicate.value.code == 11000
        with pytest.raises(BulkWriteError) as bulk:
            await users.insert_many([{"username": "bob"}, {"username": "alice"}, {"username": "carol"}])
        assert bulk.value.details["nInserted"] == 1
        assert [error["index"] for error in bulk.value.details["writeErrors"]] == [1]
        assert sorted(await users.distinct("username")) == ["alice", "bob"]
    finally:
        await client.close()


async def test_a_new_document_gets_its_id_on_the_callers_side(engine: EmbeddedEngine) -> None:
    client = await EngineProcessClient(engine.url).start()
    try:
        document: dict[str, object] = {"caption": "hello"}
        result = await client["aperture"]["posts"].insert_one(document)
        assert document["_id"] == result.inserted_id
        assert await client["aperture"]["posts"].find_one({"_id": document["_id"]}) == document
    finally:
        await client.close()


async def test_pipelined_calls_are_answered_to_their_own_callers(engine: EmbeddedEngine) -> None:
    client = await EngineProcessClient(engine.url).start()
    try:
        posts = client["aperture"]["posts"]
        await posts.insert_many([{"n": n} for n in range(200)])
        found = await asyncio.gather(*(posts.find_one({"n": n}, {"_id": 0}) for n in range(200)))
        assert found == [{"n": n} for n in range(200)]
    finally:
        await client.close()


async def test_calls_fail_promptly_with_a_pymongo_error_when_the_engine_dies(engine: EmbeddedEngine) -> None:
    client = await EngineProcessClient(engine.url).start()
    try:
        await client["aperture"]["posts"].insert_one({"n": 1})
        assert engine.pid is not None
        os.kill(engine.pid, signal.SIGKILL)
        # A PyMongoError: jobs treat it as transient and are retried, requests get a coded error
        with pytest.raises(AutoReconnect) as lost:
            await asyncio.wait_for(client["aperture"]["posts"].find_one({"n": 1}), timeout=5)
        assert isinstance(lost.value, PyMongoError)
    finally:
        await client.close()


def test_the_socket_is_private_to_its_user(engine: EmbeddedEngine) -> None:
    socket_path = Path(engine.url.removeprefix("litemongo+engine://"))
    assert stat.S_ISSOCK(socket_path.stat().st_mode)
    assert stat.S_IMODE(socket_path.stat().st_mode) & 0o077 == 0


async def test_a_data_directory_too_deep_for_a_socket_path_still_starts(tmp_path: Path) -> None:
    deep = tmp_path.joinpath(*["nested-directory"] * 8, "mongo")
    started = await EmbeddedEngine(deep).start()
    client = await EngineProcessClient(started.url).start()
    try:
        await client["aperture"]["posts"].insert_one({"n": 1})
        assert (deep / "aperture").is_dir(), "the data stays in the data directory"
    finally:
        await client.close()
        await started.stop()
    assert not Path(started.url.removeprefix("litemongo+engine://")).parent.exists()


async def test_a_memory_engine_keeps_its_data_out_of_the_data_directory(tmp_path: Path) -> None:
    started = await EmbeddedEngine(tmp_path / "mongo", memory=True).start()
    client = await EngineProcessClient(started.url).start()
    try:
        await client["aperture"]["posts"].insert_one({"n": 1})
        assert await client["aperture"]["posts"].count_documents({}) == 1
        assert not (tmp_path / "mongo" / "aperture").exists()
    finally:
        await client.close()
        await started.stop()


PARENT = """
import asyncio, sys
from pathlib import Path
from aperture.embedded.engine_process import EmbeddedEngine

async def main():
    engine = await EmbeddedEngine(Path(sys.argv[1])).start()
    print(engine.pid, flush=True)
    await asyncio.sleep(3600)

asyncio.run(main())
"""


def test_the_engine_exits_when_the_process_that_started_it_is_killed(tmp_path: Path) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, str(tmp_path / "mongo")], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        assert alive(child)
        parent.kill()
        parent.wait(timeout=10)
        deadline = time.monotonic() + 10
        while alive(child):
            assert time.monotonic() < deadline, "the stand-in outlived the process that started it"
            time.sleep(0.05)
    finally:
        parent.kill()
