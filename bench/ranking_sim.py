"""The synthetic network of bench/ranking.py: hidden preferences, a few days of posting and
engagement driven by them, and what held-out users would engage with.

The preference model (PREFERENCE_MODEL, printed in the results) is fixed before any ranking is
seen: each user likes a few of the accounts they follow much more than the rest, and has a
taste for popular posts; every post has a hidden quality; people engage less with stale posts.
Users read their home timeline chronologically a few times a day, as they would without ranking.
Held-out users stop reading for the last `window_hours` and come back at the end: the ranking
must find, among the posts they missed, the ones they would engage with.
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bench.home_network import insert_chunks
from services.counters.service import POST
from services.foundation.ids import id_floor_for
from services.posts.records import PostRecord, PostStatus
from services.social.follows import edge_document
from services.timeline.user_classes import FAMOUS

if TYPE_CHECKING:
    from services.container import Services

HOUR_S = 3600.0
DAY_S = 24 * HOUR_S
PREFERENCE_MODEL: dict[str, Any] = {
    "favourites": "2-5 of the accounts each user follows, chosen at random, with affinity a ~ U(0.4, 0.9); 0 for the rest",
    "popularity_taste": "b ~ U(0, 1) per user",
    "post_quality": "q ~ Beta(1.2, 6) per post (most posts ordinary, a few very good)",
    "engage_probability": "min(0.95, 0.02 + 0.6 a + 0.6 b q) * (0.5 + 0.5 * 2^(-age_hours / 24))",
    "kind_of_engagement": "a comment with probability 0.2 + 0.3 a, else a like; and a profile visit with probability 0.3 a",
    "posting": "rate ~ lognormal(mean about 1) posts a day per user, clipped to [0.1, 6]; the most followed accounts 3 a day",
    "reading": "each user not held out opens the home timeline at 3 random times a day and sees the newest 40 posts since the last visit, newest first",
    "held_out": "users with 15+ followees, chosen at random; they read until `window_hours` before the end, then not at all",
    "truth": "for each post a held-out user missed, a Bernoulli draw of the engage probability at the end (seeded per user and post)",
}


@dataclass
class Network:
    seed: int
    user_ids: list[int]
    followees: dict[int, list[int]]
    favourites: dict[int, dict[int, float]]
    taste: dict[int, float]
    famous: list[int]
    held_out: list[int]
    end_s: float
    posts_by_author: dict[int, list[tuple[float, int]]] = field(default_factory=dict)
    quality: dict[int, float] = field(default_factory=dict)
    ordinal: dict[int, int] = field(default_factory=dict)  # post -> creation order, for seeded draws
    counts: dict[str, Any] = field(default_factory=dict)

    def engage_probability(self, user: int, author: int, post: int, age_s: float) -> float:
        affinity = self.favourites[user].get(author, 0.0)
        base = min(0.95, 0.02 + 0.6 * affinity + 0.6 * self.taste[user] * self.quality[post])
        return base * (0.5 + 0.5 * 2 ** (-age_s / DAY_S))

    def missed(self, user: int, since_s: float) -> list[tuple[float, int, int]]:
        """(time, post, author) of every post by the user's followees (and own) after `since_s`."""
        found = []
        for author in [*self.followees[user], user]:
            timeline = self.posts_by_author.get(author, [])
            for at, post in timeline[bisect.bisect_right(timeline, (since_s, 1 << 62)) :]:
                found.append((at, post, author))
        return found

    def oracle(self, user: int, window_s: float) -> list[int]:
        """The user's missed posts by their hidden engage probability: the best any order could do."""
        missed = [
            (at, post, author)
            for at, post, author in self.missed(user, self.end_s - window_s)
            if author != user
        ]
        return [
            post
            for _, post, _ in sorted(
                missed,
                key=lambda item: -self.engage_probability(user, item[2], item[1], self.end_s - item[0]),
            )
        ]

    def truth(self, user: int, window_s: float) -> set[int]:
        """The posts of the last `window_s` that a held-out user would engage with."""
        relevant = set()
        for at, post, author in self.missed(user, self.end_s - window_s):
            if author == user:
                continue
            # Seeded by positions, not ids (which carry the wall clock), so reruns draw the same
            draw = random.Random(f"{self.seed}:{self.user_ids.index(user)}:{self.ordinal[post]}").random()
            if draw < self.engage_probability(user, author, post, self.end_s - at):
                relevant.add(post)
        return relevant


async def build_network(services: Services, size: dict[str, Any], seed: int) -> Network:
    """Users, follows and hidden preferences, written straight to the stores (loading, not the API)."""
    rng = random.Random(seed)
    db, redis = services.stores.db, services.stores.redis
    users = [services.ids.next_id() for _ in range(size["users"])]
    password_hash = services.users._hasher.hash("bench-password")
    now = datetime.now(UTC)
    await insert_chunks(
        db["users"],
        [
            {"_id": uid, "username": f"rank{i}", "display_name": f"Rank {i}", "bio": "",
             "password_hash": password_hash, "created_at": now}
            for i, uid in enumerate(users)
        ],
    )  # fmt: skip
    # Popularity by rank, Zipf with exponent 0.8: a few accounts are followed by most users
    weights = list(itertools.accumulate(1 / (rank + 1) ** 0.8 for rank in range(len(users))))
    followees: dict[int, list[int]] = {}
    for user in users:
        chosen = {users[i] for i in rng.choices(range(len(users)), cum_weights=weights, k=size["follows"])}
        chosen.discard(user)
        followees[user] = sorted(chosen)
    follows = [
        edge_document(user, followee, services.ids.next_id(), now)
        for user, targets in followees.items()
        for followee in targets
    ]
    await insert_chunks(db["follows"], follows)
    followers = dict.fromkeys(users, 0)
    for targets in followees.values():
        for followee in targets:
            followers[followee] += 1
    # Exact counts, as a counter flush leaves them: the ranking reads authors' follower counts
    await insert_chunks(
        db["counters"],
        [
            {
                "_id": f"user:{user}",
                "followers": followers[user],
                "following": len(followees[user]),
                "posts": 0,
            }
            for user in users
        ],
    )
    famous = sorted(users, key=lambda user: followers[user], reverse=True)[: size["famous"]]
    await redis.sadd(FAMOUS, *map(str, famous))  # type: ignore[misc]
    favourites = {
        user: {f: rng.uniform(0.4, 0.9) for f in rng.sample(targets, min(len(targets), rng.randint(2, 5)))}
        for user, targets in followees.items()
    }
    eligible = [user for user in users if len(followees[user]) >= 15]
    held_out = sorted(rng.sample(eligible, min(size["held_out"], len(eligible))))
    network = Network(
        seed=seed,
        user_ids=users,
        followees=followees,
        favourites=favourites,
        taste={user: rng.random() for user in users},
        famous=famous,
        held_out=held_out,
        end_s=time.time(),
    )
    network.counts.update(
        users=len(users),
        follow_edges=len(follows),
        famous_accounts=len(famous),
        famous_follower_counts=[followers[user] for user in famous],
        held_out_users=len(held_out),
    )
    await _post(services, network, size, rng, famous)
    return network


async def _post(
    services: Services, network: Network, size: dict[str, Any], rng: random.Random, famous: list[int]
) -> None:
    start_s = network.end_s - size["days"] * DAY_S
    used: set[int] = set()
    documents = []
    prolific = set(famous)
    for author in network.user_ids:
        rate = 3.0 if author in prolific else min(6.0, max(0.1, rng.lognormvariate(-0.35, 0.8)))
        times = sorted(
            rng.uniform(start_s, network.end_s - 60) for _ in range(_poisson(rng, rate * size["days"]))
        )
        timeline = []
        for at in times:
            post_id = id_floor_for(datetime.fromtimestamp(at, UTC)) + rng.randrange(1 << 11)
            while post_id in used:
                post_id += 1
            used.add(post_id)
            timeline.append((at, post_id))
            network.quality[post_id] = rng.betavariate(1.2, 6)
            network.ordinal[post_id] = len(network.ordinal)
            record = PostRecord(
                id=post_id, author_id=author, caption=f"post by {author}", hashtags=(), mention_ids=(),
                status=PostStatus.VISIBLE, created_at=datetime.fromtimestamp(round(at, 3), UTC),
            )  # fmt: skip
            documents.append(record.to_document())
        network.posts_by_author[author] = timeline
    await insert_chunks(services.stores.db["posts"], documents)
    # As PostService.create does: a new post's counters start in Redis, so no read goes to the store
    for start in range(0, len(documents), 500):
        await asyncio.gather(
            *(services.counters.initialize(POST, doc["_id"]) for doc in documents[start : start + 500])
        )
    network.counts["posts"] = len(documents)


def _poisson(rng: random.Random, mean: float) -> int:
    count, total = 0, rng.expovariate(1.0)
    while total < mean:
        count += 1
        total += rng.expovariate(1.0)
    return count


async def simulate_reading(
    services: Services, network: Network, size: dict[str, Any], window_s: float
) -> None:
    """Sessions of chronological reading, and the engagement they produce, recorded as the
    event handlers record it (EngagementSignals), each at its simulated time."""
    rng = random.Random(network.seed + 1)
    start_s = network.end_s - size["days"] * DAY_S
    held_out = set(network.held_out)
    events: list[tuple[float, str, int, int, int]] = []
    sessions = 0
    for user in network.user_ids:
        stop_s = network.end_s - window_s if user in held_out else network.end_s
        times = sorted(rng.uniform(start_s, stop_s) for _ in range(round(3 * (stop_s - start_s) / DAY_S)))
        last = start_s - DAY_S
        for now in times:
            sessions += 1
            seen = sorted((p for p in network.missed(user, last) if p[0] <= now), reverse=True)[:40]
            last = now
            for at, post, author in seen:
                if author == user or rng.random() >= network.engage_probability(user, author, post, now - at):
                    continue
                affinity = network.favourites[user].get(author, 0.0)
                kind = "comment" if rng.random() < 0.2 + 0.3 * affinity else "like"
                events.append((now, kind, user, post, author))
                if rng.random() < 0.3 * affinity:
                    events.append((now, "visit", user, post, author))
    signals = services.signals
    for start in range(0, len(events), 200):
        batch = []
        for at, kind, user, post, author in events[start : start + 200]:
            if kind == "like":
                batch.append(signals.on_like(user, post, author, at_s=at))
            elif kind == "comment":
                batch.append(signals.on_comment(user, post, author, at_s=at))
            else:
                batch.append(signals.on_profile_view(user, author, at_s=at))
        await asyncio.gather(*batch)
    kinds = [event[1] for event in events]
    network.counts.update(
        reading_sessions=sessions,
        likes=kinds.count("like"),
        comments=kinds.count("comment"),
        profile_visits=kinds.count("visit"),
    )
