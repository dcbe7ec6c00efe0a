"""The README's configuration table, generated from the settings so that the two cannot drift.

python -m aperture.settings_table    # rewrites the table in README.md
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from aperture.settings import Settings


def documented_variables() -> dict[str, tuple[str, str]]:
    """Map each environment variable to its default (as text) and description."""
    return {spec.metadata["env"]: (str(spec.default), spec.metadata["doc"]) for spec in fields(Settings)}


def config_table_markdown() -> str:
    """The README's configuration table, generated so that the two cannot drift."""
    rows = ["| Variable | Default | Meaning |", "|---|---|---|"]
    for name, (default, doc) in documented_variables().items():
        shown = f"`{default}`" if default else "(empty)"
        rows.append(f"| `{name}` | {shown} | {doc} |")
    return "\n".join(rows)


def _rewrite_readme_table(readme: Path) -> None:
    text = readme.read_text()
    start_marker, end_marker = "<!-- config-table", "<!-- /config-table -->"
    start = text.index("\n", text.index(start_marker)) + 1
    end = text.index(end_marker)
    readme.write_text(text[:start] + config_table_markdown() + "\n" + text[end:])


if __name__ == "__main__":
    _rewrite_readme_table(Path(__file__).resolve().parent.parent / "README.md")
