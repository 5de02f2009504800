"""Engine and session factory from a database URL: SQLite by default, PostgreSQL by changing the URL."""

from __future__ import annotations

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


def make_engine(url: str) -> Engine:
    """Engine for ``url``; a SQLite file's folder is created, and the SQLite pragmas are set per connection."""
    parsed = make_url(url)
    engine = create_engine(parsed)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def make_sessions(engine: Engine) -> sessionmaker[Session]:
    """Session factory on ``engine``, with the tables created when missing."""
    Base.metadata.create_all(engine)
    # expire_on_commit=False: rows read in a session stay readable after it closes.
    return sessionmaker(engine, expire_on_commit=False)
