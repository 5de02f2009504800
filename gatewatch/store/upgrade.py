"""Bring a database made by an earlier gatewatch up to the current tables, in place, at every start.

``create_all`` creates missing tables only: an index or a column added to an existing table later is
added here. Each step checks first, so running it again (every start, or two replicas starting at once
under the schema lock) changes nothing. There is no migration framework: the steps are few and additive
(Alembic would add a dependency and a revision history for two idempotent statements).
"""

from __future__ import annotations

from sqlalchemy import Connection, inspect, text
from sqlalchemy.exc import IntegrityError

from gatewatch.store.tables import RECORD_ONCE, OutboxRow
from gatewatch.store.types import StoreError


def upgrade_schema(connection: Connection) -> list[str]:
    """Apply the missing steps; returns what was added (empty for a current database).

    Call after ``create_all``, in its transaction; on PostgreSQL under the schema advisory lock.
    """
    if connection.dialect.name == "sqlite":
        # Take SQLite's write lock before looking (see sequence.lock_sqlite_for_write): a second process
        # starting at the same time then sees the column added and does not add it again.
        connection.execute(text("UPDATE webhook_outbox SET id = id WHERE 0"))
    added = []
    if _add_outbox_claim_token(connection):
        added.append("webhook_outbox.claim_token")
    _add_record_once_index(connection)
    return added


def _add_outbox_claim_token(connection: Connection) -> bool:
    """Databases made before outcomes were checked against the claim (the column stays NULL until a claim)."""
    table = OutboxRow.__tablename__
    columns = {c["name"] for c in inspect(connection).get_columns(table)}
    if "claim_token" in columns:
        return False
    column_type = OutboxRow.__table__.c.claim_token.type.compile(connection.dialect)
    connection.execute(text(f"ALTER TABLE {table} ADD COLUMN claim_token {column_type}"))
    return True


def _add_record_once_index(connection: Connection) -> None:
    """Databases made before records were written once."""
    try:
        RECORD_ONCE.create(connection, checkfirst=True)
    except IntegrityError as exc:
        raise StoreError(
            f"{connection.engine.url.render_as_string(hide_password=True)}: event_records holds the same record "
            "twice (same event_id, name and at), written before records were stored once; keep the row with "
            "the lowest seq of each and delete the others, then start again"
        ) from exc
