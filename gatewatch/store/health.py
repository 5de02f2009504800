"""Whether the store can write now: failed writes are reported here, and a cheap probe backs ``/readyz``.

Why not one rolled-back INSERT per probe (the old check): SQLite keeps a small uncommitted change in
its page cache, so rolling it back never touches the disk, and a full disk passed; and every probe
took the database's write lock. The probe here is two real writes, throttled:

- a fresh 4 KiB file next to the database, written and fsynced (then removed): a full disk fails here
  even while SQLite could still reuse space inside its write-ahead log;
- one committed upsert of a one-row table: a read-only database file or folder fails here. It holds
  the write lock for one tiny commit, at most once per ``min_interval_s`` however often probes come.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from gatewatch.service_metrics import STORE_WRITE_FAILURES

log = logging.getLogger(__name__)

PROBE_BYTES = 4096
PROBE_TABLE = "store_probe"


class StoreHealth:
    """Failure state shared by every writer: record appends, API writes and the probe."""

    def __init__(self, engine: Engine, sqlite_dir: Path | None, *, min_interval_s: float = 2.0) -> None:
        self._engine = engine
        self._sqlite_dir = sqlite_dir  # None for a server database (PostgreSQL): no local file to probe
        self._min_interval_s = min_interval_s
        self._lock = threading.Lock()
        self._error: str | None = None  # set by a failed write, cleared by the next successful one
        self._probed_at = -float("inf")
        self.failures_total = 0
        self.first_failure_at: dt.datetime | None = None  # wall clock of the first failure of this outage

    @property
    def error(self) -> str | None:
        """Why the last write failed, while no write has succeeded since; None when the store writes."""
        with self._lock:
            return self._error

    def failed(self, exc: BaseException) -> None:
        reason = _reason(exc)
        with self._lock:
            self.failures_total += 1
            if self._error is None:
                self.first_failure_at = dt.datetime.now(dt.UTC)
                log.error("the store cannot write: %s", reason)
            self._error = reason
        STORE_WRITE_FAILURES.inc()

    def succeeded(self) -> None:
        with self._lock:
            if self._error is not None:
                log.warning("the store writes again (it failed from %s)", self.first_failure_at)
            self._error = None
            self.first_failure_at = None

    def probe(self) -> str | None:
        """Write for real (at most once per ``min_interval_s``); returns the failure reason or None."""
        with self._lock:
            due = time.monotonic() - self._probed_at >= self._min_interval_s
            if due:
                self._probed_at = time.monotonic()
        if due:
            try:
                self._write_probe_file()
                self._write_probe_row()
            except (OSError, SQLAlchemyError) as exc:
                self.failed(exc)
            else:
                self.succeeded()
        return self.error

    def _write_probe_file(self) -> None:
        if self._sqlite_dir is None:
            return
        path = self._sqlite_dir / f".write-probe-{os.getpid()}"
        try:
            with path.open("wb") as file:
                file.write(b"\0" * PROBE_BYTES)
                file.flush()
                os.fsync(file.fileno())
        finally:
            path.unlink(missing_ok=True)

    def _write_probe_row(self) -> None:
        with self._engine.begin() as conn:
            conn.execute(text(f"CREATE TABLE IF NOT EXISTS {PROBE_TABLE} (id INTEGER PRIMARY KEY, at TEXT)"))
            conn.execute(
                text(f"INSERT INTO {PROBE_TABLE} (id, at) VALUES (1, :at) ON CONFLICT (id) DO UPDATE SET at = :at"),
                {"at": dt.datetime.now(dt.UTC).isoformat()},
            )


def _reason(exc: BaseException) -> str:
    """The driver's own words ("database or disk is full"), without SQLAlchemy's SQL and URL trailer."""
    original = getattr(exc, "orig", None) or exc
    if isinstance(original, OSError) and original.strerror:
        return f"{original.strerror}: {original.filename}" if original.filename else original.strerror
    return str(original).splitlines()[0][:300] or type(original).__name__
