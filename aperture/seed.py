"""A small, believable demo network, created once."""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

from services.foundation.errors import DomainError
from services.media.uploads import MediaRequest

if TYPE_CHECKING:
    from pathlib import Path

    from services.container import Services

log = logging.getLogger(__name__)

DEMO_PASSWORD = "aperture-demo"  # noqa: S105 - the published demo login
DEMO_USERNAME = "alice"
FAMOUS_USERNAME = "natgeo_demo"
_FIRST_NAMES = [
    "alice", "bruno", "chen", "dalia", "emeka", "farah", "goran", "hana", "ivan", "jules",
    "kofi", "lena", "mateo", "nadia", "oskar", "priya", "quinn", "rosa", "sami", "tara",
    "umar", "vera", "wen", "xena", "yusuf", "zoe", "amir", "bea", "carlos", "dana",
    "eli", "fatima", "gabe", "hiro", "ines", "jon", "kira", "liam", "mina", "noor",
    "omar", "pia", "rafa", "sofia", "theo", "uma", "vik", "willa", "yara",
]  # fmt: skip


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
    usernames = [FAMOUS_USERNAME, *_FIRST_NAMES]
    semaphore = asyncio.Semaphore(4)

    async def create(username: str) -> int:
        async with semaphore:
            display = "Nat Geo (demo)" if username == FAMOUS_USERNAME else username.capitalize()
            try:
                return (await services.users.sign_up(username, DEMO_PASSWORD, display)).id
            except DomainError:
                existing = await services.users.get_by_username(username)
                if existing is None:
                    raise
                return existing.id

    user_ids = dict(zip(usernames, await asyncio.gather(*(create(u) for u in usernames)), strict=True))
    await _seed_graph(services, user_ids, rng)
    return demo


_CAPTIONS = [
    "Golden hour over the harbour #sunset #travel",
    "First espresso of the day, thanks @{friend} #coffee",
    "Trail run before the rain #running #outdoors",
    "Market stalls in the old town #streetphotography",
    "New lens, who dis #photography",
    "Weekend bake: sourdough attempt number six #baking",
    "City lights from the 40th floor #nightphotography",
    "Found this little guy on the path #wildlife",
]
_FAMOUS_CAPTIONS = [
    "A snow leopard in the Himalaya, photographed over three weeks #wildlife #natgeo",
    "Bioluminescent bay at midnight #ocean #natgeo",
    "Sandstone arches at dawn #landscape",
    "The last glacier of the range #climate #natgeo",
    "Humpback breach off the coast #ocean",
]


async def _seed_graph(services: Services, user_ids: dict[str, int], rng: random.Random) -> None:
    famous_id = user_ids[FAMOUS_USERNAME]
    others = [uid for name, uid in user_ids.items() if name != FAMOUS_USERNAME]
    names = {uid: name for name, uid in user_ids.items()}
    for follower in others:
        await services.follows.follow(follower, famous_id)
        wanted = 12 if names[follower] == DEMO_USERNAME else rng.randint(3, 10)
        for followee in rng.sample([uid for uid in others if uid != follower], wanted):
            await services.follows.follow(follower, followee)
    for index, caption in enumerate(_FAMOUS_CAPTIONS):
        await _photo_post(services, famous_id, caption, index)
    for index, author in enumerate(others):
        for round_ in range(rng.randint(1, 3)):
            caption = rng.choice(_CAPTIONS).format(friend=names[rng.choice(others)])
            if round_ == 0 and index % 3 == 0:
                await _photo_post(services, author, caption, 100 + index)
            else:
                await services.posts.create(author, caption)


_PALETTES = [
    ("#0f2027", "#2c5364"), ("#ff7e5f", "#feb47b"), ("#134e5e", "#71b280"), ("#41295a", "#2f0743"),
    ("#f7971e", "#ffd200"), ("#1d2b64", "#f8cdda"), ("#e96443", "#904e95"), ("#3a1c71", "#ffaf7b"),
]  # fmt: skip


async def _photo_post(services: Services, author_id: int, caption: str, variant: int) -> None:
    """A demo post with a generated photo, uploaded the way a client would and processed by the worker."""
    top, bottom = _PALETTES[variant % len(_PALETTES)]
    path = services.settings.data_dir / "work" / f"seed-{variant}.jpg"
    await asyncio.to_thread(_render_photo, path, top, bottom, variant)
    ticket = await services.uploads.request(author_id, "image/jpeg", path.stat().st_size)
    key = f"uploads/{author_id}/{ticket.id}"
    await services.stores.blobs.put_file(key, path, "image/jpeg")
    path.unlink()
    alt = f"A generated landscape in {top} and {bottom}"
    await services.composer.create(author_id, caption, [MediaRequest(ticket.id, alt)])


def _render_photo(path: Path, top: str, bottom: str, variant: int) -> None:
    from wand.drawing import Drawing  # noqa: PLC0415 - only the seed draws pictures
    from wand.image import Image  # noqa: PLC0415

    path.parent.mkdir(parents=True, exist_ok=True)
    with Image(width=1200, height=1500, pseudo=f"gradient:{top}-{bottom}") as image:
        with Drawing() as draw:
            draw.fill_color = "#ffffff40"
            for ring in range(6):
                radius = 80 + ring * 45 + variant % 7 * 10
                draw.circle((600, 650), (600 + radius, 650))
            draw(image)
        image.format = "jpeg"
        image.compression_quality = 88
        image.save(filename=str(path))
