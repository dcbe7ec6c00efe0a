"""The lock file is what CI installs, so every declared dependency must be pinned in it."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _name(requirement: str) -> str:
    return re.split(r"[\[=<>~! ;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _locked_pins() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line and not line.startswith((" ", "#")) and "==" in line:
            name, version = line.split("==", 1)
            pins[_name(name)] = version.strip()
    return pins


def test_every_declared_dependency_is_pinned_at_the_same_version_in_the_lock() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        declared.extend(extra)
    pins = _locked_pins()

    problems = []
    for requirement in declared:
        name = _name(requirement)
        wanted = requirement.split("==", 1)[1] if "==" in requirement else None
        if name not in pins:
            problems.append(f"{name} is declared in pyproject.toml but missing from requirements.lock")
        elif wanted is not None and pins[name] != wanted:
            problems.append(f"{name}: pyproject.toml pins {wanted}, requirements.lock {pins[name]}")
    assert problems == []
