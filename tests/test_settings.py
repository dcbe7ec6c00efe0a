"""Settings are read once from the environment, and every variable is documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from aperture.embedded.runtime import start_embedded
from aperture.settings import Settings
from aperture.settings_table import config_table_markdown, documented_variables
from services.foundation.stores import redis_is_cluster

ROOT = Path(__file__).resolve().parent.parent


def test_readme_configuration_table_matches_the_code() -> None:
    readme = (ROOT / "README.md").read_text()
    assert config_table_markdown() in readme, (
        "regenerate the README table from aperture.settings_table.config_table_markdown()"
    )


def test_no_module_reads_the_environment_outside_settings() -> None:
    offenders = []
    for package in ("aperture", "schema", "resolvers", "dataloaders", "services", "jobs", "gateway"):
        for path in (ROOT / package).rglob("*.py"):
            if path.name == "settings.py":
                continue
            if re.search(r"os\.environ|os\.getenv", path.read_text()):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_values_are_coerced_and_checked() -> None:
    settings = Settings.from_env({"APERTURE_PORT": "9001", "REDIS_CLUSTER": "yes", "FEED_CAP": "400"})
    assert (settings.port, settings.redis_cluster, settings.feed_cap) == (9001, True, 400)
    with pytest.raises(ValueError, match="APERTURE_PORT must be an integer"):
        Settings.from_env({"APERTURE_PORT": "eighty"})
    with pytest.raises(ValueError, match="REDIS_CLUSTER must be a boolean"):
        Settings.from_env({"REDIS_CLUSTER": "perhaps"})


def test_every_variable_has_a_description() -> None:
    for name, (_, doc) in documented_variables().items():
        assert doc.strip(), name


@pytest.mark.parametrize(
    ("url", "flag", "cluster"),
    [
        ("redis://r:6379/0", False, False),
        ("redis://r:6379/0", True, True),
        ("redis+cluster://r:7000", False, True),
        ("rediss+cluster://r:7000", False, True),
    ],
)
def test_cluster_mode_follows_the_flag_or_the_scheme(url: str, flag: bool, cluster: bool) -> None:
    assert redis_is_cluster(Settings(redis_url=url, redis_cluster=flag)) is cluster


async def test_cluster_mode_without_a_cluster_url_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="REDIS_CLUSTER=1 needs REDIS_URL"):
        await start_embedded(Settings(data_dir=tmp_path, redis_cluster=True))
