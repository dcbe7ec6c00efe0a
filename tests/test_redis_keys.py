"""Every Redis key pattern the services build, and the hash tags that keep keys used together on
one Redis Cluster slot.

A Lua script, a transaction or a multi-key command whose keys hash to different slots fails on a
cluster (CROSSSLOT), so keys used together carry one hash tag `{...}`. Per-entity tags hold the
entity id, so that different users (posts, authors) spread over the nodes. Pipelines need no
tag: on a cluster they are split per node (see services/cluster_safe.py).

Adding a key pattern:
1. Build it in a `<name>_key()` function, or a module-level `<NAME>_KEY` string constant, of the
   service that owns it (never inline in a Redis call: `test_keys_are_built_by_named_builders`).
2. List it in PATTERNS below with sample arguments (`test_every_key_builder_is_listed` fails
   until it is).
3. If a script, transaction or multi-key command uses it with other keys, give them one hash tag
   and add them to GROUPS together.
4. Exercise the new path in tests/test_redis_cluster.py, which runs the app on a real cluster.

Pub/sub channels are not keys, and the arq queue lives on its own single node (QUEUE_REDIS_URL).
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

import pytest
from redis.crc import key_slot

from gateway.persisted_queries import persisted_query_key
from gateway.rate_limits import Bucket, budget_key
from services.accounts.activity import seen_key
from services.accounts.sessions import session_key
from services.accounts.sign_in_failures import failures_key, known_key
from services.accounts.users import user_key, username_key
from services.archive.service import CURSOR_KEY, reads_key
from services.counters.service import (
    DIRTY_SHARDS,
    POST,
    USER,
    counts_key,
    dirty_key,
    dirty_shard_key,
    flushing_shard_key,
)
from services.discovery.people_index import BUILT_KEY, POPULAR_KEY, lex_key, terms_key, top_key
from services.engagement.comment_heads import comment_head_generation_key, comment_head_key
from services.engagement.likes import liked_key
from services.foundation.id_leases import node_lease_key
from services.foundation.job_queue import WAKE_KEY
from services.hashtags.follows import followed_tags_key, followed_tags_version_key
from services.hashtags.trending import TAGS_KEY, tag_authors_key
from services.hashtags.windows import window_floor_key, window_key
from services.live.channels import watch_key
from services.media.processing import MEDIA_EVENTS
from services.posts.service import post_key
from services.posts.store import CEILING_KEY
from services.privacy.relations import relation_key, relation_version_key
from services.ranking.signals import Engagement, affinity_key, velocity_key, visit_gate_key
from services.ranking.snapshots import SLOTS, shown_key, snapshot_key, snapshot_seq_key
from services.timeline.fanout import pending_key
from services.timeline.feed_store import (
    ACTIVE_PREFIX,
    FEED_FLOOR_PREFIX,
    FEED_PREFIX,
    active_key,
    feed_floor_key,
    feed_key,
    lapse_key,
    recent_floor_key,
    recent_key,
)
from services.timeline.follower_index import building_key, index_key, ready_key
from services.timeline.presence import LIVE_USERS_KEY, live_key
from services.timeline.user_classes import FAMOUS, PROMOTING, famous_follows_key

if TYPE_CHECKING:
    from collections.abc import Callable


# Every key builder with sample arguments, whatever its use.
PATTERNS: dict[Callable[..., str], tuple[Any, ...]] = {
    feed_key: (7,),
    feed_floor_key: (7,),
    active_key: (7,),
    lapse_key: (7,),
    live_key: (7,),
    recent_key: (7,),
    recent_floor_key: (7,),
    famous_follows_key: (7,),
    liked_key: (7,),
    seen_key: (7,),
    user_key: (7,),
    username_key: ("mina",),
    session_key: ("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",),
    post_key: (11,),
    watch_key: (11,),
    reads_key: (11,),
    counts_key: (POST, 11),
    dirty_key: (POST, 11),
    dirty_shard_key: (3,),
    flushing_shard_key: (3,),
    node_lease_key: (5,),
    pending_key: ("push:11",),
    index_key: (7,),
    ready_key: (7,),
    building_key: (7,),
    budget_key: ("u:7", Bucket.READ),
    persisted_query_key: ("ab" * 32,),
    failures_key: ("alice",),
    known_key: ("alice",),
    window_key: ("café",),
    window_floor_key: ("café",),
    followed_tags_key: (7,),
    followed_tags_version_key: (7,),
    tag_authors_key: ("café",),
    top_key: ("mi",),
    lex_key: ("mina",),
    terms_key: (7,),
    affinity_key: (7, Engagement.LIKES),
    velocity_key: (11,),
    visit_gate_key: (7, 22),
    snapshot_key: (7, 0),
    snapshot_seq_key: (7,),
    shown_key: (7,),
    relation_key: ("blocks", 7),
    relation_version_key: ("blocks", 7),
    comment_head_key: (11,),
    comment_head_generation_key: (11,),
}
# Fixed keys, each used alone or with its group below.
CONSTANTS = {
    "FAMOUS": FAMOUS,
    "PROMOTING": PROMOTING,
    "CEILING_KEY": CEILING_KEY,
    "CURSOR_KEY": CURSOR_KEY,
    "MEDIA_EVENTS": MEDIA_EVENTS,
    "WAKE_KEY": WAKE_KEY,
    "TAGS_KEY": TAGS_KEY,
    "POPULAR_KEY": POPULAR_KEY,
    "BUILT_KEY": BUILT_KEY,
    "LIVE_USERS_KEY": LIVE_USERS_KEY,
}


def tagged_feed(user_id: int) -> list[str]:
    """_PUSH (per follower), _BEGIN and read_feed: a user's feed, its floor, active and live markers."""
    return [feed_key(user_id), feed_floor_key(user_id), active_key(user_id), live_key(user_id)]


def tagged_recent(author_id: int) -> list[str]:
    """_BEGIN, _FINISH and _ADD_CAPPED on an author's recent set and its floor."""
    return [recent_key(author_id), recent_floor_key(author_id)]


def tagged_dispatch(post_id: int) -> list[str]:
    """fanout._OPEN and _CLOSE: the pending set of one dispatch (with the keys of later ones)."""
    tracking = f"push:{post_id}"
    return [pending_key(tracking)]


def tagged_follower_index(author_id: int) -> list[str]:
    """follower_index._BEGIN_BUILD and the pipelines of ensure(): an author's index, its ready
    marker and its build lock."""
    return [index_key(author_id), ready_key(author_id), building_key(author_id)]


def tagged_budgets(user_id: int) -> list[str]:
    """rate_limits._CHARGE checks every bucket of one subject in one script."""
    return [budget_key(f"u:{user_id}", bucket) for bucket in Bucket]


def tagged_sign_ins(user_id: int) -> list[str]:
    """sign_in_failures._RESERVE reads a username's known addresses and counts its failures."""
    return [failures_key(f"user{user_id}"), known_key(f"user{user_id}")]


def tagged_tag_window(tag_number: int) -> list[str]:
    """hashtags.windows._STORE and _BEGIN on a tag's window and its floor."""
    return [window_key(f"tag{tag_number}"), window_floor_key(f"tag{tag_number}")]


def tagged_followed_tags(user_id: int) -> list[str]:
    """hashtags.follows._FILL: a user's cached followed tags, filled only at an unchanged version."""
    return [followed_tags_key(user_id), followed_tags_version_key(user_id)]


def tagged_relations(user_id: int) -> list[str]:
    """relations._FILL (a set and its version) and the policy's SMISMEMBERs in one turn: whom a
    user blocked, who blocked them, whom they muted, who muted them."""
    return [
        key(prefix, user_id)
        for prefix in ("blocks", "blocksby", "mutes", "mutesby")
        for key in (relation_key, relation_version_key)
    ]


def tagged_rankings(user_id: int) -> list[str]:
    """snapshots._SAVE (counter, shown set, every slot) and _READ (one slot, shown set)."""
    return [snapshot_seq_key(user_id), shown_key(user_id)] + [snapshot_key(user_id, s) for s in range(SLOTS)]


def tagged_visits(user_id: int) -> list[str]:
    """signals._ADD_AFFINITY for a profile visit: the visits set and the visit's gate."""
    return [affinity_key(user_id, Engagement.VISITS), visit_gate_key(user_id, 123456)]


def tagged_comment_head(post_id: int) -> list[str]:
    return [comment_head_key(post_id), comment_head_generation_key(post_id)]


# Keys used together in one script, transaction or multi-key command, per entity id.
GROUPS: dict[str, Callable[[int], list[str]]] = {
    "feed": tagged_feed,
    "recent": tagged_recent,
    "dispatch": tagged_dispatch,
    "follower index": tagged_follower_index,
    "rate limits": tagged_budgets,
    "sign-ins": tagged_sign_ins,
    "tag window": tagged_tag_window,
    "followed tags": tagged_followed_tags,
    "relations": tagged_relations,
    "rankings": tagged_rankings,
    "visits": tagged_visits,
    "comment head": tagged_comment_head,
}
# Fixed keys used together: user_classes._FINISH_PROMOTION moves an id from one set to the other.
FIXED_GROUPS: dict[str, list[str]] = {"famous": [FAMOUS, PROMOTING]}
# Each group's hash tag for entity 7 (a changed tag fails here, even if the group stays together).
TAGS = {
    "feed": "7",
    "recent": "7",
    "dispatch": "push:7",
    "follower index": "7",
    "rate limits": "u:7",
    "famous": "famous",
    # Usernames are hashed into the tag, so that a long one makes no long key
    "sign-ins": hashlib.sha256(b"user7").hexdigest()[:32],
    "tag window": "tag7",
    "followed tags": "7",
    "relations": "7",
    "rankings": "7",
    "visits": "7",
    "comment head": "7",
}


def slot(key: str) -> int:
    return key_slot(key.encode())


def hash_tag(key: str) -> str | None:
    """The part of the key Redis Cluster hashes, when it has a tag."""
    start = key.find("{")
    end = key.find("}", start + 1)
    if start < 0 or end < 0 or end == start + 1:
        return None
    return key[start + 1 : end]


@pytest.mark.parametrize("name", sorted(GROUPS))
def test_keys_used_together_hash_to_one_slot(name: str) -> None:
    for entity_id in (7, 123456789012345):
        keys = GROUPS[name](entity_id)
        assert len({slot(key) for key in keys}) == 1, keys
    assert {hash_tag(key) for key in GROUPS[name](7)} == {TAGS[name]}


@pytest.mark.parametrize("name", sorted(GROUPS))
def test_each_entity_has_its_own_slot(name: str) -> None:
    """A tag that holds the entity id spreads entities over the nodes (no hot node)."""
    assert len({slot(GROUPS[name](entity_id)[0]) for entity_id in range(1, 50)}) > 40


@pytest.mark.parametrize("name", sorted(FIXED_GROUPS))
def test_fixed_keys_used_together_hash_to_one_slot(name: str) -> None:
    keys = FIXED_GROUPS[name]
    assert len({slot(key) for key in keys}) == 1, keys
    assert {hash_tag(key) for key in keys} == {TAGS[name]}


def test_single_entity_keys_are_tagged_by_their_entity() -> None:
    assert hash_tag(counts_key(POST, 11)) == "post:11"
    assert hash_tag(counts_key(USER, 11)) == "user:11"
    for builder in (
        post_key,
        watch_key,
        reads_key,
        famous_follows_key,
        liked_key,
        seen_key,
        user_key,
        velocity_key,
    ):
        assert hash_tag(builder(11)) == "11", builder.__name__


def test_counter_dirty_shards_spread_over_slots() -> None:
    """Each dirty set shares a slot with its in-flight set (the flush moves marks between
    them in one script), and the shards spread over different slots."""
    for shard in range(DIRTY_SHARDS):
        assert hash_tag(dirty_shard_key(shard)) == f"dirty:{shard}"
        assert slot(flushing_shard_key(shard)) == slot(dirty_shard_key(shard))
    assert len({slot(dirty_shard_key(shard)) for shard in range(DIRTY_SHARDS)}) == DIRTY_SHARDS
    assert dirty_key(POST, 11) in {dirty_shard_key(shard) for shard in range(DIRTY_SHARDS)}


def test_the_range_push_script_builds_the_same_keys_as_the_builders() -> None:
    """feed_scripts.PUSH_RANGE builds per-follower keys from prefixes, in Lua."""
    for user_id in (7, 123456789012345):
        tag = f"{{{user_id}}}"
        assert FEED_PREFIX + tag == feed_key(user_id)
        assert FEED_FLOOR_PREFIX + tag == feed_floor_key(user_id)
        assert ACTIVE_PREFIX + tag == active_key(user_id)


def test_patterns_do_not_collide() -> None:
    # dirty_key picks one of the dirty_shard_key keys by design
    keys = [builder(*args) for builder, args in PATTERNS.items() if builder is not dirty_key]
    keys += CONSTANTS.values()
    assert len(set(keys)) == len(keys), sorted(keys)
