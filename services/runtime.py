"""Opening and closing a process's services: stores, job queue, domain services, leases."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from services.container import Services, build_services
from services.foundation.job_queue import open_queue
from services.foundation.stores import open_stores
from services.reactions import wire_reactions

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from aperture.settings import Settings


@contextlib.asynccontextmanager
async def open_services(settings: Settings) -> AsyncIterator[Services]:
    stores = await open_stores(settings)
    try:
        queue = await open_queue(settings)
        try:
            services = await build_services(stores, queue)
            wire_reactions(services)
            await services.ensure_indexes()
            await stores.warm()
            try:
                yield services
            finally:
                # Ends every live subscription, so sockets close with a proper code
                await services.live_hub.close()
                await services.node_lease.close()
                await services.media.close()  # the warm media processes, if a worker started any
        finally:
            await queue.close()
    finally:
        await stores.close()
