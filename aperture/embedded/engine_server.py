"""The MongoDB stand-in's process: litemongo on SQLite files, answering on a Unix socket.

Started by `EmbeddedEngine` (engine_process.py) as
`python -m aperture.embedded.engine_server DATA_DIR SOCKET_PATH [--memory]`. It prints one line when it
listens, runs every call on its one thread in the order received (the engine is synchronous,
as it was on the API's engine thread), and exits on SIGTERM or when its parent's pipe on
stdin closes.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

from aperture.embedded.engine_calls import encode_frame, execute, read_frame
from aperture.embedded.engine_process import MEMORY_FLAG, READY_LINE
from aperture.embedded.litemongo_adapter import open_litemongo

log = logging.getLogger("aperture.embedded.engine_server")


def _reply(request_id: int, outcome: tuple[bool, Any]) -> bytes:
    try:
        return encode_frame((request_id, *outcome))
    except Exception as error:  # noqa: BLE001 - an unpicklable result or error still gets an answer
        return encode_frame((request_id, False, RuntimeError(f"stand-in reply could not be sent: {error!r}")))


async def _serve_connection(engine: Any, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            request_id, call = await read_frame(reader)
            try:
                outcome: tuple[bool, Any] = (True, execute(engine, call))
            except Exception as error:  # noqa: BLE001 - the caller's pymongo error, raised on its side
                outcome = (False, error)
            writer.write(_reply(request_id, outcome))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass  # the client went away
    finally:
        writer.close()


async def _until_parent_gone(stop: asyncio.Event) -> None:
    reader = asyncio.StreamReader()
    loop = asyncio.get_running_loop()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    await reader.read()
    stop.set()


async def serve(directory: Path, socket_path: Path, *, memory: bool) -> None:
    engine = open_litemongo(memory=memory, location=str(directory))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    server = await asyncio.start_unix_server(
        functools.partial(_serve_connection, engine), path=str(socket_path)
    )
    watcher = asyncio.create_task(_until_parent_gone(stop))
    sys.stdout.buffer.write(READY_LINE)
    sys.stdout.flush()
    try:
        await stop.wait()
    finally:
        watcher.cancel()
        server.close()
        engine.close()


def main() -> None:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    directory, socket_path = (Path(argument) for argument in sys.argv[1:3])
    # The socket and the files it creates are this user's only: the frames are pickles
    os.umask(0o077)
    socket_path.unlink(missing_ok=True)
    try:
        asyncio.run(serve(directory, socket_path, memory=MEMORY_FLAG in sys.argv[3:]))
    finally:
        socket_path.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
