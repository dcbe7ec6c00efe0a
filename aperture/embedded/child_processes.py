"""What the embedded runtime's child processes (redis-server, the MongoDB stand-in) share."""

from __future__ import annotations

import asyncio
import signal

# Unix socket paths are limited to 108 bytes by the kernel
MAX_SOCKET_PATH = 100
STOP_TIMEOUT_S = 10.0


async def terminate(process: asyncio.subprocess.Process) -> None:
    """SIGTERM, which lets the child flush and close its files, then SIGKILL if it lingers."""
    if process.returncode is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), STOP_TIMEOUT_S)
    except TimeoutError:
        process.kill()
        await process.wait()
