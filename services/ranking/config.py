"""The ranking's weights, half-lives and bounds, parsed once from Settings.

Weights and half-lives are two compact settings (like RATE_LIMITS), so that tuning the
formula is one variable each: RANKING_WEIGHTS='affinity=2,visit=0', RANKING_HALF_LIVES_H='recency=6'.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from aperture.settings import Settings

HOUR_S = 3600.0


@dataclass(frozen=True, slots=True)
class Weights:
    """How much each term of the score counts, and each kind of engagement within a term."""

    recency: float = 1.0
    affinity: float = 1.0
    velocity: float = 0.5
    like: float = 1.0
    comment: float = 3.0
    visit: float = 0.5


@dataclass(frozen=True, slots=True)
class HalfLives:
    """Hours after which a term's input counts half."""

    recency: float = 12.0
    affinity: float = 14 * 24.0
    velocity: float = 6.0


_Tunable = TypeVar("_Tunable", Weights, HalfLives)


@dataclass(frozen=True, slots=True)
class RankingConfig:
    weights: Weights
    half_lives_h: HalfLives
    window_s: float
    max_candidates: int
    snapshot_ttl_s: int

    @classmethod
    def from_settings(cls, settings: Settings) -> RankingConfig:
        if settings.ranking_window_hours <= 0:
            raise ValueError("RANKING_WINDOW_HOURS must be positive")
        if settings.ranking_max_candidates < 1:
            raise ValueError("RANKING_MAX_CANDIDATES must be at least 1")
        if settings.ranking_snapshot_ttl_s < 1:
            raise ValueError("RANKING_SNAPSHOT_TTL_S must be at least 1")
        half_lives = _overridden(HalfLives(), settings.ranking_half_lives_h, "RANKING_HALF_LIVES_H")
        if min(half_lives.recency, half_lives.affinity, half_lives.velocity) <= 0:
            raise ValueError("RANKING_HALF_LIVES_H: every half-life must be positive")
        return cls(
            weights=_overridden(Weights(), settings.ranking_weights, "RANKING_WEIGHTS"),
            half_lives_h=half_lives,
            window_s=settings.ranking_window_hours * HOUR_S,
            max_candidates=settings.ranking_max_candidates,
            snapshot_ttl_s=settings.ranking_snapshot_ttl_s,
        )


def _overridden(defaults: _Tunable, spec: str, variable: str) -> _Tunable:
    """`defaults` with the `name=value` pairs of `spec` applied; a clear error for anything else."""
    known = {field.name for field in fields(defaults)}
    changes: dict[str, float] = {}
    for part in filter(None, (item.strip() for item in spec.split(","))):
        name, _, raw = part.partition("=")
        name = name.strip()
        if name not in known:
            raise ValueError(f"{variable}: unknown name {name!r} (known: {', '.join(sorted(known))})")
        try:
            value = float(raw)
        except ValueError:
            raise ValueError(f"{variable}: {name} must be a number, got {raw.strip()!r}") from None
        if value < 0:
            raise ValueError(f"{variable}: {name} must not be negative")
        changes[name] = value
    return replace(defaults, **changes)
