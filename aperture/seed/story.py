"""Who is in the demo network and what they posted: every post has photos or a video, no caption repeats."""

from __future__ import annotations

from dataclasses import dataclass

FAMOUS = ("natgeo_demo", "Nat Geo (demo)", "Wild places, photographed slowly. A demo account.")
PEOPLE = [
    ("alice", "Alice Moreau", "Weekend hikes, weekday coffee. Lyon."),
    ("bruno", "Bruno Costa", "Night walks with a 35 mm."),
    ("chen", "Chen Wei", "Harbours and ferries."),
    ("dalia", "Dalia Haddad", "Deserts, mostly. Sometimes the sea."),
    ("emeka", "Emeka Obi", "City lights and long exposures."),
    ("farah", "Farah Nasser", "Bokeh collector."),
    ("goran", "Goran Petrović", "Mountains before breakfast."),
    ("hana", "Hana Sato", "Film look, digital camera."),
    ("ivan", "Ivan Novak", "Trail runner. Slow photographer."),
    ("jules", "Jules Laurent", "Coastlines of Brittany."),
    ("kofi", "Kofi Mensah", "Rooftops of Accra and elsewhere."),
    ("lena", "Lena Berg", "Fjords and fog."),
    ("mateo", "Mateo Ruiz", "Sunsets, unapologetically."),
    ("nadia", "Nadia Rahman", "Lights, festivals, blur."),
    ("oskar", "Oskar Lind", "North, as far as the road goes."),
    ("priya", "Priya Nair", "Monsoon skies."),
    ("quinn", "Quinn Taylor", "Weekend wanderer."),
    ("rosa", "Rosa Ferri", "Sicilian light."),
    ("sami", "Sami Virtanen", "Lakes, saunas, midnight sun."),
    ("tara", "Tara Singh", "Dunes at dawn."),
    ("umar", "Umar Farouk", "Skylines."),
    ("vera", "Vera Ivanova", "Snow and silence."),
    ("wen", "Wen Li", "Night markets."),
    ("yusuf", "Yusuf Demir", "Bosphorus every evening."),
    ("zoe", "Zoe Clarke", "Learning to wait for the light."),
    ("amir", "Amir Tehrani", "Stars and deserts."),
    ("bea", "Bea Santos", "Lisbon, mostly."),
    ("carlos", "Carlos Mendes", "Between two oceans."),
    ("mina", "Mina Park", "Seoul after dark."),
]
DEMO_USERNAME = "alice"
# Some people chose a profile photo (a favourite scene, drawn like the posts); the rest show initials
AVATARS = {
    "natgeo_demo": "mountains", "alice": "sea", "mateo": "dunes", "chen": "city", "emeka": "bokeh",
    "goran": "mountains", "farah": "bokeh", "dalia": "dunes", "mina": "city", "rosa": "sea",
    "hana": "bokeh", "jules": "sea",
}  # fmt: skip
ALICE_FOLLOWS = ["natgeo_demo", "bruno", "chen", "dalia", "emeka", "farah", "goran", "hana", "mina",
                 "jules", "lena", "mateo", "rosa"]  # fmt: skip


@dataclass(frozen=True)
class DemoPost:
    author: str
    caption: str
    media: tuple[str, ...]  # "scene:shape" photos, or "video:kind"
    hours_ago: float


def _p(author: str, hours_ago: float, caption: str, *media: str) -> DemoPost:
    return DemoPost(author, caption, media, hours_ago)


# Oldest first: ids follow creation order, so the history is written in the order it happened
POSTS = sorted(
    [
        _p(
            "natgeo_demo",
            520,
            "Three weeks waiting for this ridge to catch the first light #mountains #natgeo",
            "mountains:landscape",
            "mountains:portrait",
        ),
        _p("goran", 500, "Up at 4:30, worth it #mountains #sunrise", "mountains:portrait"),
        _p(
            "chen",
            470,
            "Last ferry of the day, sun going down behind the islands #harbour #sunset",
            "sea:landscape",
        ),
        _p("dalia", 450, "The dunes move a little every night #desert", "dunes:portrait"),
        _p("emeka", 430, "Thirty floors up, the city hums #citylights", "city:portrait"),
        _p("farah", 400, "Fairy lights through a wide-open f/1.4 #bokeh", "bokeh:square"),
        _p(
            "alice",
            380,
            "First hike of the season with @goran, legs still complaining #mountains",
            "mountains:square",
            "mountains:landscape",
            "mountains:portrait",
        ),
        _p(
            "natgeo_demo",
            360,
            "Sea at dusk off the Azores: no filter, just patience #ocean #natgeo",
            "sea:portrait",
        ),
        _p("jules", 340, "Brittany doing its best Mediterranean impression #sea", "sea:square"),
        _p("hana", 320, "Tried a warm film profile on the dunes #film #desert", "dunes:landscape"),
        _p("lena", 300, "Fog lifting off the fjord, ten minutes of magic #mountains", "mountains:landscape"),
        _p("mateo", 280, "Sunset number 214 of the year #sunset", "sea:landscape", "sea:square"),
        _p(
            "nadia",
            260,
            "Festival night, everything out of focus on purpose #bokeh #festival",
            "bokeh:portrait",
        ),
        _p("umar", 240, "Skyline from the old water tower #citylights #skyline", "city:landscape"),
        _p("rosa", 220, "Sicilian evening, the sea goes gold for exactly four minutes #sunset", "video:zoom"),
        _p("tara", 200, "Footprints gone by morning #desert #dunes", "dunes:square"),
        _p(
            "natgeo_demo",
            180,
            "Wind-carved dunes of the Namib at first light #desert #natgeo",
            "dunes:landscape",
            "dunes:portrait",
            "dunes:square",
        ),
        _p("mina", 160, "Seoul after the rain, every window awake #citylights #night", "city:square"),
        _p(
            "bruno",
            140,
            "Night walk, 35 mm, no tripod #streetphotography #night",
            "city:portrait",
            "city:square",
        ),
        _p("farah", 120, "Colour study: drifting light, four seconds of it #bokeh", "video:gradients"),
        _p("goran", 100, "Second summit this week, thanks @ivan for the pace #mountains", "mountains:square"),
        _p(
            "alice",
            80,
            "Coffee break with this view, not complaining #sunset @chen would love it",
            "sea:portrait",
        ),
        _p("priya", 60, "Monsoon clearing over the hills #mountains #monsoon", "mountains:portrait"),
        _p("yusuf", 44, "Bosphorus, 8:14 pm #sunset #istanbul", "sea:landscape"),
        _p("wen", 30, "Night market lights from the footbridge #bokeh #night", "bokeh:landscape"),
        _p("amir", 20, "Stars came out over the dunes, no moon, no wind #desert #night", "dunes:portrait"),
        _p("emeka", 10, "Blue hour from the rooftop, long exposure #citylights", "city:landscape"),
        _p("natgeo_demo", 6, "Alpine lake before the wind comes up #mountains #natgeo", "mountains:square"),
        _p("chen", 4, "Harbour lights coming on one by one #harbour #citylights", "city:portrait"),
        _p(
            "mateo",
            2,
            "Tonight's sunset was unreal, @alice you missed it #sunset",
            "sea:portrait",
            "sea:landscape",
        ),
    ],
    key=lambda post: -post.hours_ago,
)

COMMENTS = [
    "Stunning light!", "This is unreal 😍", "Where is this?", "The colours!", "Framed perfectly.",
    "Adding this to my list.", "Wow, what a view.", "That glow 🔥", "Need to go back there.",
    "How long did you wait for this?", "Wallpaper material.", "So calm.", "Incredible timing.",
    "The layers in this one ✨", "Beautiful, as always.", "Okay this is my favourite so far.",
]  # fmt: skip
