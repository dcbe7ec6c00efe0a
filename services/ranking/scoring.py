"""The score of one candidate post for one viewer, with every input kept so it can be shown.

    score = w_recency  * 2^(-age / half_life_recency)
          + w_affinity * ln(1 + like*likes_given + comment*comments_given + visit*profile_visits)
          + w_velocity * ln(1 + (like*recent_likes + comment*recent_comments) / max(1, followers/100))

The affinity counts are the viewer's decayed engagements with the post's author; the velocity
counts are the post's decayed engagements from everyone (signals.py), per hundred followers of
its author (fewer count as a hundred): fifty likes from a thousand followers say more about a
post than fifty from a hundred thousand, whose audience alone brings them. The logarithms make
both terms saturate: the tenth like of an author adds less than the first. docs/architecture.md (2.11)
explains the choice of each term.
"""

from __future__ import annotations

import math
from enum import Enum
from typing import TYPE_CHECKING, NamedTuple

from services.foundation.ids import id_seconds
from services.ranking.config import HOUR_S

if TYPE_CHECKING:
    from services.ranking.config import RankingConfig
    from services.ranking.signals import AuthorAffinity, PostVelocity

# About two likes' worth of recent engagement with an author makes them one you "often" engage with
OFTEN_AFFINITY = 2.0
# About three likes' worth of engagement in the last velocity half-life, per hundred followers of
# the author, makes a post "popular"
POPULAR_VELOCITY = 3.0
# Engagement is counted per this many followers of the author (an account with fewer counts as this many)
AUDIENCE_UNIT = 100.0
# Posts within two recency half-lives are "new"
NEW_RECENCY = 0.25


class Reason(Enum):
    """Why a post is where it is; reasons.py words it for people."""

    OWN_POST = "OWN_POST"
    SHOWN_BEFORE = "SHOWN_BEFORE"
    OFTEN_LIKED = "OFTEN_LIKED"
    OFTEN_COMMENTED = "OFTEN_COMMENTED"
    OFTEN_VISITED = "OFTEN_VISITED"
    POPULAR = "POPULAR"
    NEW = "NEW"
    FOLLOWED = "FOLLOWED"


# Named tuples rather than frozen dataclasses, here and for the signals: a first ranked page
# builds a few of them per candidate, hundreds per request, and a tuple is several times cheaper


class ScoreInputs(NamedTuple):
    """Everything the score of one post was computed from, as of the ranking."""

    age_hours: float
    recency: float
    likes_given: float
    comments_given: float
    profile_visits: float
    affinity: float
    recent_likes: float
    recent_comments: float
    author_followers: int
    velocity: float
    shown_before: bool
    score: float


class RankedPost(NamedTuple):
    post_id: int
    author_id: int
    reason: Reason
    inputs: ScoreInputs


class Candidate(NamedTuple):
    """A post as the ranking sorts it: every candidate gets one; only shown posts get explained."""

    post_id: int
    author_id: int
    score: float
    shown_before: bool


def _terms(
    post_id: int,
    affinity: AuthorAffinity,
    velocity: PostVelocity,
    followers: int,
    *,
    now_s: float,
    config: RankingConfig,
) -> tuple[float, float, float, float, float, float]:
    """Age in hours, recency, weighted affinity and velocity counts, and their logarithms."""
    weights = config.weights
    age_hours = max(0.0, now_s - id_seconds(post_id)) / HOUR_S
    recency = 2.0 ** (-age_hours / config.half_lives_h.recency)
    affinity_raw = (
        weights.like * affinity.likes + weights.comment * affinity.comments + weights.visit * affinity.visits
    )
    audience = max(1.0, followers / AUDIENCE_UNIT)
    velocity_raw = (weights.like * velocity.likes + weights.comment * velocity.comments) / audience
    return age_hours, recency, affinity_raw, velocity_raw, math.log1p(affinity_raw), math.log1p(velocity_raw)


def score(
    post_id: int,
    affinity: AuthorAffinity,
    velocity: PostVelocity,
    followers: int,
    *,
    now_s: float,
    config: RankingConfig,
) -> float:
    _, recency, _, _, affinity_term, velocity_term = _terms(
        post_id, affinity, velocity, followers, now_s=now_s, config=config
    )
    weights = config.weights
    return weights.recency * recency + weights.affinity * affinity_term + weights.velocity * velocity_term


def explain(
    post_id: int,
    author_id: int,
    *,
    viewer_id: int,
    affinity: AuthorAffinity,
    velocity: PostVelocity,
    followers: int,
    shown_before: bool,
    now_s: float,
    config: RankingConfig,
) -> RankedPost:
    """The post's score with every input, and the reason that names its largest term."""
    weights = config.weights
    age_hours, recency, affinity_raw, velocity_raw, affinity_term, velocity_term = _terms(
        post_id, affinity, velocity, followers, now_s=now_s, config=config
    )
    often = affinity_raw >= OFTEN_AFFINITY and weights.affinity > 0
    popular = velocity_raw >= POPULAR_VELOCITY and weights.velocity > 0
    if author_id == viewer_id:
        reason = Reason.OWN_POST
    elif shown_before:
        reason = Reason.SHOWN_BEFORE
    elif often and (not popular or weights.affinity * affinity_term >= weights.velocity * velocity_term):
        engaged = {
            Reason.OFTEN_LIKED: weights.like * affinity.likes,
            Reason.OFTEN_COMMENTED: weights.comment * affinity.comments,
            Reason.OFTEN_VISITED: weights.visit * affinity.visits,
        }
        reason = max(engaged, key=lambda kind: engaged[kind])
    elif popular:
        reason = Reason.POPULAR
    elif recency >= NEW_RECENCY:
        reason = Reason.NEW
    else:
        reason = Reason.FOLLOWED
    inputs = ScoreInputs(
        age_hours=age_hours,
        recency=recency,
        likes_given=affinity.likes,
        comments_given=affinity.comments,
        profile_visits=affinity.visits,
        affinity=affinity_term,
        recent_likes=velocity.likes,
        recent_comments=velocity.comments,
        author_followers=followers,
        velocity=velocity_term,
        shown_before=shown_before,
        score=weights.recency * recency + weights.affinity * affinity_term + weights.velocity * velocity_term,
    )
    return RankedPost(post_id=post_id, author_id=author_id, reason=reason, inputs=inputs)


def ranking_order(candidate: Candidate) -> tuple[bool, float, int]:
    """Sort key, best first: posts shown in an earlier ranked session after all others, then by
    score, then newest first."""
    return (candidate.shown_before, -candidate.score, -candidate.post_id)
