"""The read path's Redis client: what redis-py would return, one round trip per turn, and the
failures a caller can meet (an error reply, a lost connection, a lost script, a caller that left)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import TYPE_CHECKING, Any

import pytest
import redis.asyncio as aioredis
from bson import Int64
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from aperture.embedded.redis_server import find_redis_server
from services.foundation.turn_batch import TurnBatch

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

READS: list[tuple[Any, ...]] = [
    ("MGET", "tb:a", "tb:missing", "tb:b"),
    ("HMGET", "tb:h", "likes", "comments", "absent"),
    ("ZMSCORE", "tb:z", "1", "2", "9"),
    ("SMEMBERS", "tb:s"),
    ("ZREVRANGEBYSCORE", "tb:z", "+inf", "(0", "LIMIT", 0, 2),
    ("EXISTS", "tb:z"),
    ("TTL", "tb:z"),
    ("GET", "tb:missing"),
]


async def _fill(redis: aioredis.Redis) -> None:
    await redis.mset({"tb:a": "1", "tb:b": "é"})
    await redis.hset("tb:h", mapping={"likes": 3, "comments": 4})  # type: ignore[misc]
    await redis.zadd("tb:z", {"1": 1, "2": 2.5})
    await redis.sadd("tb:s", "x", "y")  # type: ignore[misc]
    await redis.expire("tb:z", 100)


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    await _fill(client)
    yield client
    await client.delete("tb:a", "tb:b", "tb:h", "tb:z", "tb:s", "tb:wrong")
    await client.aclose()


async def test_results_are_what_redis_py_returns_for_each_command(redis: aioredis.Redis) -> None:
    turns = TurnBatch(redis)
    assert turns.pipelined
    expected = [await redis.execute_command(*command) for command in READS]  # type: ignore[no-untyped-call]
    assert await turns.commands(READS) == expected
    assert [await turns.command(name, *args) for name, *args in READS] == expected
    assert await turns.mget(["tb:b", "tb:a"]) == ["é", "1"]
    await turns.aclose()


@pytest.mark.parametrize("pipelined", [True, False], ids=["one script", "a command per key"])
async def test_one_read_over_many_keys_answers_as_a_command_per_key(
    redis: aioredis.Redis, *, pipelined: bool
) -> None:
    turns = TurnBatch(redis, pipelined=pipelined)
    sizes = await turns.per_key("SCARD", ["tb:s", "tb:missing", "tb:s"])
    assert sizes == [2, 0, 2]
    scores = await turns.per_key("ZMSCORE", ["tb:z", "tb:missing"], "2", "9")
    # The script's scores are the reply's text; redis-py's, floats: `float` reads both
    assert [[None if v is None else float(v) for v in reply] for reply in scores] == [
        [2.5, None],
        [None, None],
    ]
    assert await turns.per_key("SCARD", []) == []
    before = turns.round_trips
    await turns.per_key("SCARD", [f"tb:{n}" for n in range(2000)])
    assert turns.round_trips - before == 1
    await turns.aclose()


async def test_calls_made_in_one_turn_share_one_round_trip_and_keep_their_own_results(
    redis: aioredis.Redis,
) -> None:
    turns = TurnBatch(redis)
    await turns.command("PING")  # connected
    before = turns.round_trips
    results = await asyncio.gather(
        turns.command("GET", "tb:a"),
        turns.commands([("GET", "tb:b"), ("HMGET", "tb:h", "likes")]),
        turns.command("SMEMBERS", "tb:s"),
    )
    assert turns.round_trips == before + 1
    assert results == ["1", ["é", ["3"]], {"x", "y"}]
    await turns.aclose()


async def test_an_error_reply_fails_only_its_caller(redis: aioredis.Redis) -> None:
    turns = TurnBatch(redis)
    await redis.set("tb:wrong", "a string")
    wrong: Any
    right: Any
    wrong, right = await asyncio.gather(
        turns.command("ZMSCORE", "tb:wrong", "1"), turns.command("GET", "tb:a"), return_exceptions=True
    )
    assert isinstance(wrong, ResponseError)
    assert "WRONGTYPE" in str(wrong)
    assert right == "1"
    with pytest.raises(ResponseError):
        await turns.commands([("GET", "tb:a"), ("ZMSCORE", "tb:wrong", "1")])
    await turns.aclose()


async def test_a_caller_that_left_does_not_shift_the_replies_of_the_others(redis: aioredis.Redis) -> None:
    turns = TurnBatch(redis)
    # A reply that takes a while: the caller gives up on it, the next caller still gets its own
    slow = asyncio.ensure_future(turns.command("BLPOP", "tb:never", 0.2))
    await asyncio.sleep(0.01)
    slow.cancel()
    assert await turns.command("GET", "tb:a") == "1"
    assert await turns.command("GET", "tb:b") == "é"
    await turns.aclose()


async def test_an_argument_it_cannot_send_fails_its_turn_and_leaves_the_connection_in_step(
    redis: aioredis.Redis,
) -> None:
    # An int subclass (bson.Int64, as ids come back from MongoDB) is refused by hiredis: that
    # turn fails at once, and is not left waiting for replies that would be the next turn's
    turns = TurnBatch(redis)
    assert await turns.command("GET", "tb:a") == "1"  # connected
    with pytest.raises(TypeError):
        await asyncio.wait_for(turns.command("SMISMEMBER", "tb:s", Int64(7)), timeout=5)
    assert await asyncio.wait_for(turns.command("GET", "tb:b"), timeout=5) == "é"
    assert await turns.commands([("GET", "tb:a"), ("SMISMEMBER", "tb:s", "x", "z")]) == ["1", [1, 0]]
    await turns.aclose()


async def test_a_script_the_server_lost_is_loaded_again(redis: aioredis.Redis) -> None:
    turns = TurnBatch(redis)
    script = redis.register_script("return redis.call('GET', KEYS[1]) .. ARGV[1]")
    assert await turns.script(script, ["tb:a"], ["!"]) == "1!"
    await redis.script_flush()
    assert await turns.script(script, ["tb:a"], ["?"]) == "1?"
    await turns.aclose()


async def test_a_lost_connection_fails_the_waiting_callers_and_the_next_call_reconnects(
    redis: aioredis.Redis,
) -> None:
    turns = TurnBatch(redis)
    await turns.command("CLIENT", "SETNAME", "turn-batch-test")
    waiting = asyncio.ensure_future(turns.command("BLPOP", "tb:never", 5))
    await asyncio.sleep(0.05)
    clients = await redis.client_list()
    (victim,) = [c for c in clients if c["name"] == "turn-batch-test"]
    await redis.client_kill_filter(_id=victim["id"])
    with pytest.raises(RedisConnectionError):
        await asyncio.wait_for(waiting, 2)
    assert await turns.command("GET", "tb:a") == "1"
    await turns.aclose()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
async def password_redis(tmp_path: Path) -> AsyncIterator[str]:
    """A TCP Redis that wants a password, for the handshake (AUTH, then SELECT)."""
    port = _free_port()
    process = await asyncio.create_subprocess_exec(
        find_redis_server(), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
        "--appendonly", "no", "--dir", str(tmp_path), "--requirepass", "s3cret",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    url = f"redis://:s3cret@127.0.0.1:{port}/3"
    probe = aioredis.Redis.from_url(url)
    for _ in range(200):
        with contextlib.suppress(OSError, aioredis.RedisError):
            if await probe.ping():
                break
        await asyncio.sleep(0.02)
    await probe.aclose()
    yield url
    process.terminate()
    await process.wait()


async def test_over_tcp_it_authenticates_and_selects_the_client_s_database(password_redis: str) -> None:
    client = aioredis.Redis.from_url(password_redis, decode_responses=True)
    await client.set("in-db-3", "yes")
    turns = TurnBatch(client)
    assert turns.pipelined
    assert await turns.command("GET", "in-db-3") == "yes"
    wrong = aioredis.Redis.from_url(password_redis.replace("s3cret", "wrong"), decode_responses=True)
    with pytest.raises(Exception, match=r"(?i)password|auth"):
        await TurnBatch(wrong).command("GET", "in-db-3")
    await turns.aclose()
    await client.aclose()
    await wrong.aclose()


async def test_a_client_it_cannot_speak_for_keeps_redis_py(redis_url: str) -> None:
    raw = aioredis.Redis.from_url(redis_url)  # bytes, not decoded strings
    turns = TurnBatch(raw)
    assert not turns.pipelined
    await raw.set("tb:a", "1")
    assert await turns.command("GET", "tb:a") == b"1"
    await raw.aclose()
