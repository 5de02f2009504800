"""The live-edited running config, kept in the database next to the audit log of its changes.

In the database rather than a JSON file in data_dir: the change and its audit entry commit in one
transaction (a crash cannot keep one without the other), and it follows the store to PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from gatewatch.store.audit import audit_in
from gatewatch.store.tables import RunningConfigRow

ROW_ID = 1


@dataclass(frozen=True, slots=True)
class SavedConfig:
    base_hash: str
    config: dict[str, Any]
    updated_at: dt.datetime
    updated_by: str


def load_running_config(sessions: sessionmaker[Session]) -> SavedConfig | None:
    with sessions() as session:
        row = session.get(RunningConfigRow, ROW_ID)
        if row is None:
            return None
        return SavedConfig(row.base_hash, row.config, row.updated_at, row.updated_by)


def save_running_config(
    sessions: sessionmaker[Session],
    base_hash: str,
    config: dict[str, Any],
    *,
    actor: str,
    what: str,
    old: Any,
    new: Any,
) -> None:
    """Persist the whole running config and audit the change that produced it, in one transaction."""
    now = dt.datetime.now(dt.UTC)
    with sessions.begin() as session:
        row = session.get(RunningConfigRow, ROW_ID)
        if row is None:
            session.add(
                RunningConfigRow(id=ROW_ID, base_hash=base_hash, config=config, updated_at=now, updated_by=actor)
            )
        else:
            row.base_hash, row.config, row.updated_at, row.updated_by = base_hash, config, now, actor
        audit_in(session, actor, what, old, new)
