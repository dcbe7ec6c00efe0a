"""Ranking settings: defaults, overrides, and a clear error for anything else."""

from __future__ import annotations

import pytest

from aperture.settings import Settings
from services.ranking.config import HOUR_S, HalfLives, RankingConfig, Weights


def test_defaults() -> None:
    config = RankingConfig.from_settings(Settings())
    assert config.weights == Weights(recency=1, affinity=1, velocity=0.5, like=1, comment=3, visit=0.5)
    assert config.half_lives_h == HalfLives(recency=12, affinity=336, velocity=6)
    assert config.window_s == 72 * HOUR_S
    assert (config.max_candidates, config.snapshot_ttl_s) == (200, 1800)


def test_overrides_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "RANKING_WEIGHTS": " affinity=2, visit=0 ",
            "RANKING_HALF_LIVES_H": "recency=6",
            "RANKING_WINDOW_HOURS": "24",
        }
    )
    config = RankingConfig.from_settings(settings)
    assert (config.weights.affinity, config.weights.visit, config.weights.like) == (2, 0, 1)
    assert config.half_lives_h.recency == 6
    assert config.window_s == 24 * HOUR_S


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"ranking_weights": "freshness=2"}, "RANKING_WEIGHTS: unknown name 'freshness'"),
        ({"ranking_weights": "like=lots"}, "RANKING_WEIGHTS: like must be a number"),
        ({"ranking_weights": "comment=-1"}, "must not be negative"),
        ({"ranking_half_lives_h": "velocity=0"}, "every half-life must be positive"),
        ({"ranking_window_hours": 0}, "RANKING_WINDOW_HOURS must be positive"),
        ({"ranking_max_candidates": 0}, "RANKING_MAX_CANDIDATES"),
        ({"ranking_snapshot_ttl_s": 0}, "RANKING_SNAPSHOT_TTL_S"),
    ],
)
def test_bad_values_fail_at_startup_with_the_variable_named(
    overrides: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        RankingConfig.from_settings(Settings(**overrides))  # type: ignore[arg-type]
