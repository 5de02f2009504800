"""How event records are written on SQLite and PostgreSQL: once each, committed in seq order, signalled.

- Once: the insert is ``ON CONFLICT DO NOTHING`` on ``ux_event_records_once`` (event id, lifecycle
  name, time). Event ids are derived from camera, zone, rule and start time, so a retried write, a
  replayed clip or a camera restarted elsewhere that sends the same record again adds no row.
- In order: SSE streams and each webhook subscriber's head of line continue "after seq N", which is
  only safe if no record with a lower seq commits after one with a higher seq. SQLite has one writer
  at a time anyway. On PostgreSQL every writer, in every process, takes one transaction-level advisory
  lock before its record gets a seq, so seqs commit in their order (on SQLite the write lock is taken
  first, so the event's row is read under it too). A record write is one short
  transaction; the lock caps writes at one such transaction at a time (measured in bench/README.md).
- Signalled: on PostgreSQL the same transaction sends ``NOTIFY gatewatch_records, '<seq>'``, which the
  server delivers only at commit, to every process that listens (RecordWatch): SSE on any replica wakes.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from gatewatch.store.db import RECORDS_LOCK
from gatewatch.store.tables import RECORD_ONCE, EventRecordRow, EventRow

CHANNEL = "gatewatch_records"


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def serialise_writers(session: Session) -> None:
    """Call first in a transaction that adds records: wait for the other writers' commits, in any process."""
    if _dialect(session) == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": RECORDS_LOCK})
    else:
        lock_sqlite_for_write(session)


def lock_sqlite_for_write(session: Session) -> None:
    """On SQLite: take the database's write lock now, before this transaction reads what it will change.

    Python's sqlite3 driver sends BEGIN only before the first INSERT/UPDATE/DELETE, so the reads before
    it run outside any transaction, and two processes can read the same row and both update it (two
    dispatchers claimed the same delivery: 33 duplicates in 100 before this). An UPDATE that matches
    no row starts the write transaction (waiting up to the busy timeout), so what follows is read
    under the lock.
    """
    if _dialect(session) == "sqlite":
        session.execute(text("UPDATE event_records SET seq = seq WHERE 0"))


def _insert_ignoring_conflicts(session: Session, table: Any, values: dict[str, Any], key: list[Any]) -> Any:
    insert = postgresql.insert if _dialect(session) == "postgresql" else sqlite.insert
    return insert(table).values(**values).on_conflict_do_nothing(index_elements=key)


def create_once(session: Session, event_id: str, columns: dict[str, Any]) -> EventRow:
    """The event's row, inserted unless another writer did first (then read back, to be updated)."""
    values = {"id": event_id, "operator_state": "open", "last_seq": 0, **columns}
    session.execute(_insert_ignoring_conflicts(session, EventRow, values, [EventRow.id]))
    return session.get_one(EventRow, event_id)


def insert_once(session: Session, values: dict[str, Any]) -> int | None:
    """Insert one event_records row; its seq, or None when that very record is stored already."""
    key = list(RECORD_ONCE.expressions)
    statement = _insert_ignoring_conflicts(session, EventRecordRow, values, key).returning(EventRecordRow.seq)
    seq: int | None = session.execute(statement).scalar_one_or_none()
    return seq


def signal_commit(session: Session, seq: int) -> None:
    """On PostgreSQL: tell every listening process, when this transaction commits, that ``seq`` is stored."""
    if _dialect(session) == "postgresql":
        session.execute(text("SELECT pg_notify(:channel, :seq)"), {"channel": CHANNEL, "seq": str(seq)})
