"""litemongo's SQLite storage, safe for several processes to open at once.

`aperture serve` runs the API and the worker as separate processes, and production-like
tests run two APIs, all on one data directory. litemongo creates a database directory and
each collection file on first use without guarding against another process doing the same:
the loser fails with FileExistsError, a UNIQUE constraint on the file's info table, or
"database is locked" while switching the new file to WAL. One advisory lock per data
directory serialises those first opens; after that, SQLite's own locking takes over.

Imported only when litemongo is the configured store.
"""

from __future__ import annotations

import contextlib
import fcntl
from typing import TYPE_CHECKING, Any

from litemongo import sqlite_store

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

OPEN_LOCK_NAME = ".open.lock"
# Each collection file has its own SQLite connection, and SQLite's default page cache is 2 MB
# per connection: with some 35 collections the stand-in could hold 70 MB in the process that
# embeds it. A small cache per file bounds that; the OS page cache still holds the files.
# (It was a suspect for the RSS growth under bench/soak.py, but did not explain it: the stand-in's
# hash indexes, which litemongo keeps in Python memory, grow with every document written.)
PAGE_CACHE_KIB = 256


@contextlib.contextmanager
def _directory_lock(root: Path) -> Iterator[None]:
    with (root / OPEN_LOCK_NAME).open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class _SharedDatabaseStore(sqlite_store.DatabaseStore):  # type: ignore[misc]
    def __init__(self, path: Path, root: Path) -> None:
        self._root = root
        with _directory_lock(root):
            super().__init__(path)

    def __getitem__(self, col_name: str) -> Any:
        if col_name in self._collections:
            return self._collections[col_name]
        with _directory_lock(self._root):
            store = super().__getitem__(col_name)
        connection = getattr(store, "_connection", None)
        if connection is not None:
            connection.execute(f"PRAGMA cache_size=-{PAGE_CACHE_KIB}")
        return store


class SharedServerStore(sqlite_store.ServerStore):  # type: ignore[misc]
    """litemongo's ServerStore whose databases and collections open under a directory lock."""

    def __init__(self, dirpath: Path) -> None:
        dirpath.mkdir(parents=True, exist_ok=True)
        super().__init__(dirpath)

    def __getitem__(self, db_name: str) -> Any:
        if db_name not in self._databases:
            self._databases[db_name] = _SharedDatabaseStore(self._dirpath / db_name, self._dirpath)
        return self._databases[db_name]
