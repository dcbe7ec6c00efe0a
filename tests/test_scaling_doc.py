"""docs/scaling.md names every MongoDB collection and every index the code creates.

The document carries two machine-readable tables: the collections (with their shard keys)
and the indexes. This test reads the indexes the services really created at startup
(`index_information()` of every collection), and scans the code for the collections it
opens, so adding or dropping an index or a collection without updating the document fails.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from services.container import Services

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "scaling.md"
PRODUCT_CODE = ["aperture", "schema", "resolvers", "dataloaders", "services", "jobs", "gateway", "processing"]
# `db` is the hot database and `archive_db` the archive, in every service constructor
COLLECTION_IN_CODE = re.compile(r"\b(archive_db|db)\[\"(\w+)\"\]")
DATABASES = {"db": "hot", "archive_db": "archive"}

IndexRow = tuple[str, str, str, str, bool, int | None]


def _table(name: str) -> list[list[str]]:
    """Rows of the markdown table between `<!-- name -->` and `<!-- /name -->`, header dropped."""
    text = DOC.read_text()
    match = re.search(rf"<!-- {name}\b[^>]*-->(.*?)<!-- /{name} -->", text, re.DOTALL)
    assert match, f"docs/scaling.md has no <!-- {name} --> table"
    rows = [
        [cell.strip().strip("`") for cell in line.strip().strip("|").split("|")]
        for line in match.group(1).strip().splitlines()
        if line.strip().startswith("|")
    ]
    return [row for row in rows[1:] if not set(row[0]) <= {"-", ":"}]


def documented_collections() -> set[tuple[str, str]]:
    return {(row[0], row[1]) for row in _table("collections")}


def documented_indexes() -> set[IndexRow]:
    return {
        (row[0], row[1], row[2], row[3], row[4] == "yes", int(row[5]) if row[5] else None)
        for row in _table("indexes")
    }


def collections_in_code() -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    files = [ROOT / "server.py"] + [p for package in PRODUCT_CODE for p in (ROOT / package).rglob("*.py")]
    for path in files:
        for variable, collection in COLLECTION_IN_CODE.findall(path.read_text()):
            found.add((DATABASES[variable], collection))
    return found


def _keys(spec: list[tuple[str, Any]]) -> str:
    return ", ".join(f"{field}: {direction}" for field, direction in spec)


async def _index_information(collection: Any) -> dict[str, Any]:
    if hasattr(collection, "index_information"):  # pymongo's AsyncCollection
        info: dict[str, Any] = await collection.index_information()
        return info
    # The embedded adapter wraps only the calls the services make; this one goes to the engine
    engine_info: dict[str, Any] = await collection._run("indexInformation", "index_information")
    return engine_info


async def created_indexes(services: Services, collections: set[tuple[str, str]]) -> set[IndexRow]:
    databases = {"hot": services.stores.db, "archive": services.stores.archive_db}
    names = set(collections)
    for label, database in databases.items():
        names |= {(label, name) for name in await database.list_collection_names()}
    rows: set[IndexRow] = set()
    for label, collection in sorted(names):
        info = await _index_information(databases[label][collection])
        for name, spec in info.items():
            if name == "_id_":
                continue  # every collection has it; the document describes _id schemes in prose
            rows.add(
                (
                    label,
                    collection,
                    name,
                    _keys(spec["key"]),
                    bool(spec.get("unique", False)),
                    spec.get("expireAfterSeconds"),
                )
            )
    return rows


def test_every_collection_in_the_code_has_a_shard_key_in_the_document() -> None:
    in_code = collections_in_code()
    documented = documented_collections()
    assert in_code, "the scan found no collections: has the code's naming changed?"
    assert in_code - documented == set(), "collections missing from docs/scaling.md"
    assert documented - in_code == set(), "docs/scaling.md lists collections the code no longer opens"


async def test_indexes_in_the_document_are_the_indexes_the_services_create(services: Services) -> None:
    await services.ensure_indexes()  # idempotent; the session fixture already ran it at startup
    documented = documented_indexes()
    created = await created_indexes(services, documented_collections() | collections_in_code())
    assert created - documented == set(), "indexes the code creates that docs/scaling.md does not list"
    assert documented - created == set(), "indexes docs/scaling.md lists that the code does not create"


def test_the_table_parser_sees_both_tables() -> None:
    # Guards the test itself: a broken marker must not make both sides empty and equal
    assert len(documented_collections()) >= 9
    assert len(documented_indexes()) >= 12
