"""ORM tables (SQLAlchemy 2 typed declarative). Datetimes are stored as UTC and read back timezone-aware."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UtcDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC datetimes on every backend: SQLite has no time zones and would hand back naive values."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store aware UTC datetimes only")
        value = value.astimezone(dt.UTC)
        # Naive UTC on SQLite keeps one text format, so range filters compare correctly as strings.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dt.datetime: UtcDateTime, dict[str, Any]: JSON}


class EventRow(Base):
    """Current state of one event: the latest lifecycle record plus the operator's state."""

    __tablename__ = "events"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    type: Mapped[str] = mapped_column(String(32), index=True)
    camera: Mapped[str] = mapped_column(String(64), index=True)
    zone: Mapped[str] = mapped_column(String(64), index=True)
    lifecycle: Mapped[str] = mapped_column(String(16))
    operator_state: Mapped[str] = mapped_column(String(16), default="open", index=True)
    started_at: Mapped[dt.datetime]
    ended_at: Mapped[dt.datetime | None]
    confidence: Mapped[float] = mapped_column(Float)
    snapshot: Mapped[str | None] = mapped_column(Text)
    thresholds: Mapped[dict[str, Any]]
    schedule_window: Mapped[str | None] = mapped_column(String(64))
    latest: Mapped[dict[str, Any]]  # EventRecord.to_json() of the latest lifecycle record
    last_seq: Mapped[int] = mapped_column(Integer)

    # Keyset pagination walks (started_at, id) newest first.
    __table_args__ = (Index("ix_events_started_at_id", "started_at", "id"),)


class EventRecordRow(Base):
    """Every lifecycle record and operator action, in one global order: ``seq`` is the SSE id and cursor."""

    __tablename__ = "event_records"
    # AUTOINCREMENT: SQLite never reuses a seq, even after the newest rows were deleted.
    __table_args__ = ({"sqlite_autoincrement": True},)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # "lifecycle" or "action"
    name: Mapped[str] = mapped_column(String(16))  # new/update/end or acknowledged/dismissed/resolved
    at: Mapped[dt.datetime]
    payload: Mapped[dict[str, Any]]  # {"event": {...}} plus {"action": {...}} for actions


# A record is stored once: a retried or replayed write of the same event's record (same lifecycle name, same
# time) hits this index and is skipped (INSERT ... ON CONFLICT DO NOTHING), on SQLite and PostgreSQL alike.
RECORD_ONCE = Index(
    "ux_event_records_once", EventRecordRow.event_id, EventRecordRow.name, EventRecordRow.at, unique=True
)


class OperatorActionRow(Base):
    __tablename__ = "operator_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[str] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(ForeignKey("event_records.seq", ondelete="CASCADE"), unique=True)
    action: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(128))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[dt.datetime]


class SubscriptionRow(Base):
    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    secret: Mapped[str] = mapped_column(String(128))  # whsec_<base64>; needed in clear to sign
    event_types: Mapped[list[str] | None] = mapped_column(JSON)  # None: every event type
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime]


class OutboxRow(Base):
    """One delivery of one record to one subscription; written in the same transaction as the record."""

    __tablename__ = "webhook_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(ForeignKey("event_records.seq", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending, delivered, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    delivered_at: Mapped[dt.datetime | None]
    # Random per claim; the outcome is written only while it still matches (see gatewatch.store.outbox).
    # Added after the first release: gatewatch.store.upgrade adds it to older databases.
    claim_token: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_heads", "status", "subscription_id", "seq"),  # each subscription's oldest pending
        UniqueConstraint("subscription_id", "seq"),
    )


class ApiKeyRow(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]


class ConsoleSessionRow(Base):
    """A browser login: the cookie holds a random token, the table only its SHA-256 (like API keys)."""

    __tablename__ = "console_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
    revoked_at: Mapped[dt.datetime | None]


class AuditRow(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(128))
    what: Mapped[str] = mapped_column(Text)
    old: Mapped[Any | None] = mapped_column(JSON)
    new: Mapped[Any | None] = mapped_column(JSON)


class RunningConfigRow(Base):
    """The live-edited config (one row): used at start while ``base_hash`` matches the config file's content."""

    __tablename__ = "running_config"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # always 1
    base_hash: Mapped[str] = mapped_column(String(64))  # sha256 of the config file's content it was derived from
    config: Mapped[dict[str, Any]]  # GatewatchConfig as JSON
    updated_at: Mapped[dt.datetime]
    updated_by: Mapped[str] = mapped_column(String(128))
