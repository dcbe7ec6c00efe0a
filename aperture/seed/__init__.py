"""A demo network that looks like a photo network, created once on first start.

Thirty people who follow each other, thirty posts over the past three weeks, every one with
photos (square, 4:5 and 1.91:1; some carousels) or a short video, all uploaded and processed
the way a client's are; then likes and comments spread over the days after each post.
"""

from __future__ import annotations

import logging
import random
import shutil
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from aperture.seed.network import engage, follow_everyone, sign_up_everyone
from aperture.seed.story import DEMO_USERNAME, FAMOUS, POSTS
from aperture.seed.uploads import choose_avatars, publish_all, start_rendering, wait_processed, worker_running
from services.foundation.clock import utc_now

if TYPE_CHECKING:
    from services.container import Services

log = logging.getLogger(__name__)

DEMO_PASSWORD = "aperture-demo"  # noqa: S105 - the published demo login
FAMOUS_USERNAME = FAMOUS[0]
__all__ = ["DEMO_PASSWORD", "DEMO_USERNAME", "FAMOUS_USERNAME", "DemoLogin", "seed_demo"]


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str


async def seed_demo(services: Services) -> DemoLogin:
    demo = DemoLogin(DEMO_USERNAME, DEMO_PASSWORD)
    if await services.users.get_by_username(FAMOUS_USERNAME) is not None:
        return demo
    log.info("seeding the demo network")
    rng = random.Random(42)  # noqa: S311 - demo data, not security
    now = utc_now()
    work = services.settings.data_dir / "work" / "seed"
    # Pictures are drawn in threads while the accounts are made, and processed by the worker
    # while later ones are still being drawn
    renders = start_rendering(work)
    try:
        ids = await sign_up_everyone(services, DEMO_PASSWORD, now - timedelta(days=40))
        await follow_everyone(services, ids, rng, now)
        async with worker_running(services):
            post_ids = await publish_all(services, ids, renders, now)
            await wait_processed(services, post_ids)
        # Profile photos are processed by the server's own worker in its first seconds: the
        # first screen does not wait for them (initials stand in until they are ready)
        await choose_avatars(services, ids, work)
    finally:
        for task in renders.values():
            task.cancel()
        shutil.rmtree(work, ignore_errors=True)
    await engage(services, ids, post_ids, rng, now)
    log.info("demo network seeded", extra={"posts": len(POSTS), "people": len(ids)})
    return demo
