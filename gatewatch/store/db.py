"""Engine and session factory from a database URL: SQLite by default, PostgreSQL by changing the URL."""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from gatewatch.store.tables import Base
from gatewatch.store.types import StoreError
from gatewatch.store.upgrade import upgrade_schema

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 5000
SCHEMA_LOCK = 0x6761_7465_0001  # PostgreSQL advisory lock keys of this application ("gate" + n)
RECORDS_LOCK = 0x6761_7465_0002
BACKENDS = ("sqlite", "postgresql")  # the store's ON CONFLICT and locking are written for these two


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
    if parsed.get_backend_name() not in BACKENDS:
        raise StoreError(
            f"database URL {parsed.render_as_string(hide_password=True)!r}: expected sqlite:///<file> "
            "or postgresql+psycopg://<user>@<host>/<database>"
        )
    # pool_pre_ping: a PostgreSQL connection cut by a server restart or failover is replaced, not handed out.
    engine = create_engine(parsed, pool_pre_ping=parsed.get_backend_name() == "postgresql")
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:" and not parsed.database.startswith("file:"):
            private_dir(Path(parsed.database).parent)
            _private_file(Path(parsed.database))
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def make_sessions(engine: Engine) -> sessionmaker[Session]:
    """Session factory on ``engine``, with the tables created when missing."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":  # replicas starting together must not both create a table
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK})
        Base.metadata.create_all(connection)
        added = upgrade_schema(connection)  # a database made by an earlier version
    if added:
        log.warning("%s: upgraded in place, added %s", engine.url.render_as_string(hide_password=True), added)
    # expire_on_commit=False: rows read in a session stay readable after it closes.
    return sessionmaker(engine, expire_on_commit=False)
