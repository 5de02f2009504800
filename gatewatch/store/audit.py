"""Audit log of configuration changes: who changed what, when, from which value to which."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gatewatch.store.tables import AuditRow


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: dt.datetime
    actor: str
    what: str
    old: Any
    new: Any


def _entry(row: AuditRow) -> AuditEntry:
    return AuditEntry(row.id, row.at, row.actor, row.what, row.old, row.new)


def audit(sessions: sessionmaker[Session], actor: str, what: str, old: Any, new: Any) -> AuditEntry:
    """Record one change; ``old``/``new`` are JSON-serialisable values (None for a creation or deletion)."""
    with sessions.begin() as session:
        return audit_in(session, actor, what, old, new)


def audit_in(session: Session, actor: str, what: str, old: Any, new: Any) -> AuditEntry:
    """``audit`` inside the caller's transaction, so the change and its audit entry commit together."""
    row = AuditRow(at=dt.datetime.now(dt.UTC), actor=actor, what=what, old=old, new=new)
    session.add(row)
    session.flush()
    return _entry(row)


def list_audit(sessions: sessionmaker[Session], *, before_id: int | None = None, limit: int = 100) -> list[AuditEntry]:
    """Newest first; pass the last entry's id as ``before_id`` for the next page."""
    query = select(AuditRow).order_by(AuditRow.id.desc()).limit(max(1, min(limit, 1000)))
    if before_id is not None:
        query = query.where(AuditRow.id < before_id)
    with sessions() as session:
        return [_entry(row) for row in session.scalars(query)]
