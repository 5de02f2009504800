"""Engine and session factory from a database URL: SQLite by default, PostgreSQL by changing the URL."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from gatewatch.store.tables import Base

SQLITE_BUSY_TIMEOUT_MS = 5000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL: readers (SSE, list views) never block the writer that stores alarms.
    cursor.execute("PRAGMA journal_mode=WAL")
    # SQLite ignores declared foreign keys (and ON DELETE CASCADE) unless asked on every connection.
    cursor.execute("PRAGMA foreign_keys=ON")
    # Wait for another connection's write lock instead of failing with "database is locked".
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    # synchronous stays FULL (the default): NORMAL under WAL may drop the last commits on power loss.
    cursor.close()


def private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) readable by this user only (0700); an existing one is kept as is."""
    if not path.is_dir():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.mkdir(mode=0o700, exist_ok=True)
    return path


def _private_file(path: Path) -> None:
    """Create an empty database file with mode 0600 before SQLite does (it would use the umask, often 0644).

    The file holds webhook secrets and camera passwords; SQLite gives its -wal and -shm files the mode
    of the database file, so they follow.
    """
    with contextlib.suppress(FileExistsError):  # an existing file keeps the mode its owner gave it
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def make_engine(url: str) -> Engine:
    """Engine for ``url``; a SQLite file and its folder are created private, and the pragmas set per connection."""
    parsed = make_url(url)
    engine = create_engine(parsed)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:" and not parsed.database.startswith("file:"):
            private_dir(Path(parsed.database).parent)
            _private_file(Path(parsed.database))
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def make_sessions(engine: Engine) -> sessionmaker[Session]:
    """Session factory on ``engine``, with the tables created when missing."""
    Base.metadata.create_all(engine)
    # expire_on_commit=False: rows read in a session stay readable after it closes.
    return sessionmaker(engine, expire_on_commit=False)
