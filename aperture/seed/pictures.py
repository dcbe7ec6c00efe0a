"""Believable demo photos, drawn with ImageMagick: mountains, sea, city lights, bokeh and dunes."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from wand.drawing import Drawing

# Shapes people post in: square, portrait 4:5 and landscape 1.91:1, at sizes the medium variant shows well
SHAPES = {"square": (810, 810), "portrait": (720, 900), "landscape": (1080, 566), "avatar": (320, 320)}
Point = tuple[float, float]
_HEADLAND_CHANCE = 0.6  # of sea pictures with a dark headland on the horizon
_LIT_WINDOWS = 0.33  # share of a night building's windows that are lit

_SKIES = [
    ("#1e3c72", "#f7b267"), ("#0f2027", "#fc5c7d"), ("#355c7d", "#f8b195"), ("#2b5876", "#eea47f"),
    ("#83a4d4", "#f6d365"), ("#3a1c71", "#ffaf7b"), ("#134e5e", "#cfe8d5"), ("#141e30", "#e2836a"),
]  # fmt: skip
_NIGHTS = [("#050814", "#1b2a4a"), ("#0b0b1a", "#3a1c4a"), ("#07131f", "#264653")]


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*(max(0, min(255, int(c))) for c in rgb))


def _ridge(rng: random.Random, width: int, base_y: float, rough: float, height: int) -> list[Point]:
    points: list[Point] = [(0, height)]
    x = 0.0
    while x < width:
        points.append((x, base_y - rng.uniform(0, rough)))
        x += rng.uniform(width / 14, width / 5)
    points += [(width, base_y - rng.uniform(0, rough)), (width, height)]
    return points


def _sun(draw: Drawing, rng: random.Random, centre: Point, radius: float) -> None:
    from wand.color import Color  # noqa: PLC0415 - Wand loads ImageMagick: only the seed draws

    for scale, alpha in ((2.4, "14"), (1.7, "26"), (1.25, "50"), (1.0, "ff")):
        draw.fill_color = Color(f"#fff1c8{alpha}")
        draw.circle(centre, (centre[0] + radius * scale, centre[1]))
    del rng


def _mountains(draw: Drawing, rng: random.Random, w: int, h: int) -> str:
    from wand.color import Color  # noqa: PLC0415

    horizon = h * rng.uniform(0.5, 0.62)
    _sun(draw, rng, (rng.uniform(w * 0.2, w * 0.8), horizon * rng.uniform(0.45, 0.8)), min(w, h) * 0.07)
    tint = rng.choice([(1.0, 1.0, 1.0), (1.3, 0.9, 0.8), (0.8, 1.1, 0.95), (0.9, 0.9, 1.2)])
    for layer in range(4):
        shade = 130 - layer * 28
        draw.fill_color = Color(_hex((shade * tint[0] * 0.8, shade * tint[1] * 0.9, shade * tint[2] * 1.1)))
        draw.polygon(_ridge(rng, w, horizon + layer * h * 0.07, h * (0.26 - layer * 0.05), h))
    return rng.choice(_SKIES[:6])[0]


def _sea(draw: Drawing, rng: random.Random, w: int, h: int) -> str:
    from wand.color import Color  # noqa: PLC0415

    horizon = h * rng.uniform(0.45, 0.6)
    sun_x = rng.uniform(w * 0.3, w * 0.7)
    _sun(draw, rng, (sun_x, horizon - h * 0.06), min(w, h) * 0.08)
    draw.fill_color = Color("#10243a")
    draw.rectangle(left=0, top=horizon, right=w, bottom=h)
    # The sun's path on the water: short bright strokes, wider towards the viewer
    for _ in range(90):
        y = rng.uniform(horizon + 2, h)
        spread = (y - horizon) / (h - horizon) * w * 0.22 + 8
        x = sun_x + rng.gauss(0, spread / 2)
        draw.fill_color = Color(f"#ffd9a0{rng.choice(['60', '90', 'c0'])}")
        draw.rectangle(left=x, top=y, width=rng.uniform(6, 30) * (1 + (y - horizon) / h), height=2)
    if rng.random() < _HEADLAND_CHANCE:
        draw.fill_color = Color("#0b1a28")
        draw.polygon(_ridge(rng, int(w * rng.uniform(0.25, 0.4)), horizon + 1, h * 0.08, int(horizon + 2)))
    return ""


def _city(draw: Drawing, rng: random.Random, w: int, h: int) -> str:
    from wand.color import Color  # noqa: PLC0415

    moon = (w * rng.uniform(0.6, 0.9), h * 0.14)
    draw.fill_color = Color("#f5f3ce")
    draw.circle(moon, (moon[0] + min(w, h) * 0.04, moon[1]))
    for row, (low, high, shade) in enumerate(((0.25, 0.55, "#1a2233"), (0.35, 0.75, "#0e1420"))):
        x = -rng.uniform(0, 40)
        while x < w:
            bw = rng.uniform(w / 16, w / 7)
            top = h * (1 - rng.uniform(low, high))
            draw.fill_color = Color(shade)
            draw.rectangle(left=x, top=top, width=bw, height=h - top)
            lit = rng.choice(["#ffd98a", "#fff4c2", "#9fd3ff"])
            for wy in range(int(top) + 10, h - 8, 16 + row * 4):
                for wx in range(int(x) + 6, int(x + bw) - 8, 12 + row * 3):
                    if rng.random() < _LIT_WINDOWS:
                        draw.fill_color = Color(lit)
                        draw.rectangle(left=wx, top=wy, width=5, height=7)
            x += bw + rng.uniform(2, 12)
    return rng.choice(_NIGHTS)[0]


def _bokeh(draw: Drawing, rng: random.Random, w: int, h: int) -> str:
    from wand.color import Color  # noqa: PLC0415

    palette = rng.choice(
        [
            ["#ffb347", "#ffcc33", "#ff6f61"],
            ["#7fdbff", "#b10dc9", "#f012be"],
            ["#f9d423", "#ff4e50", "#fc913a"],
        ]
    )
    for _ in range(rng.randint(40, 70)):
        radius = rng.uniform(min(w, h) * 0.02, min(w, h) * 0.11)
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        draw.fill_color = Color(f"{rng.choice(palette)}{rng.choice(['30', '48', '70'])}")
        draw.circle((x, y), (x + radius, y))
    return rng.choice(_NIGHTS)[0]


def _dunes(draw: Drawing, rng: random.Random, w: int, h: int) -> str:
    from wand.color import Color  # noqa: PLC0415

    _sun(draw, rng, (rng.uniform(w * 0.15, w * 0.85), h * rng.uniform(0.15, 0.3)), min(w, h) * 0.05)
    colours = ["#e9b872", "#d9984f", "#c27c3a", "#a8642b"]
    for layer, colour in enumerate(colours):
        base = h * (0.55 + layer * 0.12)
        points: list[Point] = [(0, h)]
        steps = 24
        phase = rng.uniform(0, 6.28)
        from math import sin  # noqa: PLC0415

        for step in range(steps + 1):
            x = w * step / steps
            points.append((x, base - h * 0.06 * (1 + sin(phase + step / 3.2)) * rng.uniform(0.8, 1.1)))
        points.append((w, h))
        draw.fill_color = Color(colour)
        draw.polygon(points)
    return "#4a90c2"


SCENES: dict[str, Callable[[Drawing, random.Random, int, int], str]] = {
    "mountains": _mountains,
    "sea": _sea,
    "city": _city,
    "bokeh": _bokeh,
    "dunes": _dunes,
}


def render_photo(path: Path, scene: str, shape: str, seed: int) -> None:
    """Draw one demo photo as a JPEG at `path`."""
    from wand.drawing import Drawing  # noqa: PLC0415
    from wand.image import Image  # noqa: PLC0415
    from wand.resource import limits  # noqa: PLC0415

    limits["thread"] = 1  # pictures are drawn two at a time already: no OpenMP threads on top

    rng = random.Random(seed)  # noqa: S311 - pictures, not secrets
    width, height = SHAPES[shape]
    top, bottom = rng.choice(_NIGHTS if scene in {"city", "bokeh"} else _SKIES)
    # A small gradient scaled up is as smooth as a full-size one, at a fraction of the cost
    with Image(width=4, height=128, pseudo=f"gradient:{top}-{bottom}") as image:
        image.resize(width, height)
        with Drawing() as draw:
            SCENES[scene](draw, rng, width, height)
            draw(image)
        image.format = "jpeg"
        image.compression_quality = 84
        path.parent.mkdir(parents=True, exist_ok=True)
        image.save(filename=str(path))
