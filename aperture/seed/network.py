"""The demo's people: accounts, who follows whom, and their likes and comments over the weeks."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import TYPE_CHECKING

from aperture.seed.story import ALICE_FOLLOWS, COMMENTS, DEMO_USERNAME, FAMOUS, PEOPLE, POSTS
from services.foundation.clock import backdated
from services.foundation.errors import DomainError

if TYPE_CHECKING:
    import random
    from datetime import datetime

    from services.container import Services

_SIGN_UPS_AT_ONCE = 4
_FOLLOWS_AT_ONCE = 8


async def sign_up_everyone(services: Services, password: str, at: datetime) -> dict[str, int]:
    limit = asyncio.Semaphore(_SIGN_UPS_AT_ONCE)
    # One argon2 hash for everyone: they share the published demo password anyway
    password_hash = await services.users.hash_password(password)

    async def create(username: str, display: str, bio: str) -> int:
        async with limit:
            with backdated(at):
                try:
                    user = await services.users.sign_up(
                        username, password, display, password_hash=password_hash
                    )
                except DomainError:
                    existing = await services.users.get_by_username(username)
                    if existing is None:
                        raise
                    return existing.id
                await services.users.update_profile(user.id, None, bio)
                return user.id

    everyone = [FAMOUS, *PEOPLE]
    user_ids = await asyncio.gather(*(create(*person) for person in everyone))
    return dict(zip([person[0] for person in everyone], user_ids, strict=True))


async def follow_everyone(services: Services, ids: dict[str, int], rng: random.Random, now: datetime) -> None:
    """Everyone follows the famous account; alice follows 12 people; the rest follow 4-9 each."""
    names = [person[0] for person in PEOPLE]
    edges: list[tuple[str, str]] = [(name, FAMOUS[0]) for name in names]
    edges += [(DEMO_USERNAME, name) for name in ALICE_FOLLOWS if name != FAMOUS[0]]
    for name in names:
        if name != DEMO_USERNAME:
            edges += [
                (name, other) for other in rng.sample([n for n in names if n != name], rng.randint(4, 9))
            ]
    limit = asyncio.Semaphore(_FOLLOWS_AT_ONCE)

    async def follow(step: int, follower: str, followee: str) -> None:
        async with limit:
            with backdated(now - timedelta(days=35) + timedelta(minutes=20 * step)):
                await services.follows.follow(ids[follower], ids[followee])

    await asyncio.gather(*(follow(step, *edge) for step, edge in enumerate(dict.fromkeys(edges))))


async def engage(
    services: Services, ids: dict[str, int], post_ids: list[int], rng: random.Random, now: datetime
) -> None:
    """Likes and comments from other people, in the hours and days after each post, oldest first."""
    people = list(ids)
    events: list[tuple[float, str, str, int, str]] = []  # hours ago, kind, who, post, text
    for post, post_id in zip(POSTS, post_ids, strict=True):
        others = [name for name in people if name != post.author]
        popular = post.author == FAMOUS[0]
        likers = rng.sample(others, rng.randint(14, 24) if popular else rng.randint(3, 12))
        events.extend((_after(rng, post.hours_ago), "like", name, post_id, "") for name in likers)
        commenters = rng.sample(others, rng.randint(0, 4))
        events.extend(
            (_after(rng, post.hours_ago), "comment", name, post_id, rng.choice(COMMENTS))
            for name in commenters
        )
    events.sort(key=lambda event: -event[0])
    for hours_ago, kind, name, post_id, text in events:
        with backdated(now - timedelta(hours=hours_ago)):
            if kind == "like":
                await services.likes.like(ids[name], post_id)
            else:
                await services.comments.add(ids[name], post_id, text)


def _after(rng: random.Random, hours_ago: float) -> float:
    """A moment between the post and now, most of them in the first day."""
    return max(0.05, hours_ago - min(hours_ago, rng.expovariate(1 / 10)))
