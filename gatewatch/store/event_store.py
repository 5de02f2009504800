"""Durable event store: current state per event, every record in one global sequence, and the webhook outbox."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from typing import Any, cast

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from gatewatch.store.convert import action_view, event_view, stored_record
from gatewatch.store.cursor import decode_cursor, encode_cursor
from gatewatch.store.db import make_engine, make_sessions
from gatewatch.store.outbox import Outbox
from gatewatch.store.sequence import create_once, insert_once, serialise_writers, signal_commit
from gatewatch.store.subscriptions import Subscriptions
from gatewatch.store.tables import (
    EventRecordRow,
    EventRow,
    OperatorActionRow,
    OutboxRow,
    SubscriptionRow,
)
from gatewatch.store.types import (
    Action,
    DeliveryView,
    EventDetail,
    EventNotFound,
    EventView,
    InvalidTransition,
    OperatorState,
    StoredRecord,
)
from gatewatch.vision.errors import GatewatchError, InvalidValue
from gatewatch.vision.types import EventRecord

log = logging.getLogger(__name__)

Listener = Callable[[StoredRecord], None]

# Which operator actions each operator state allows; dismissed (a false alarm) and resolved are final.
TRANSITIONS: dict[OperatorState, frozenset[Action]] = {
    "open": frozenset({"acknowledged", "dismissed", "resolved"}),
    "acknowledged": frozenset({"dismissed", "resolved"}),
    "dismissed": frozenset(),
    "resolved": frozenset(),
}
MAX_PAGE = 500


class _StoredAlready(GatewatchError):
    """Raised inside a write transaction to roll it back: its record is in the store already (never escapes)."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class EventStore:
    """Thread-safe: every call opens its own session; writes are serialised so ``seq`` commits in order.

    Serialising writes keeps SSE readers that resume from a seq from skipping a record whose lower seq
    committed after a higher one: a lock in this process, and across processes SQLite's single writer
    or, on PostgreSQL, an advisory lock (see gatewatch.store.sequence).
    """

    def __init__(self, database_url: str) -> None:
        self.engine = make_engine(database_url)
        self.sessions = make_sessions(self.engine)
        self._write_lock = threading.Lock()
        self._listeners: list[Listener] = []
        self.subscriptions = Subscriptions(self.sessions)
        self.outbox = Outbox(self.sessions)

    def close(self) -> None:
        self.engine.dispose()

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener`` with each record after it is committed (MQTT, SSE wake-ups, the outbox worker).

        It runs in the writing thread, so it must not block; with several writers, calls may arrive
        slightly out of ``seq`` order, which is why every message carries its seq.
        """
        self._listeners.append(listener)

    def append(self, record: EventRecord) -> int:
        """Store one lifecycle record and its outbox rows in one transaction; returns its seq.

        Idempotent: a record stored already (same event id, lifecycle and time; a retried or replayed
        write) changes nothing, reaches no listener and its stored seq is returned.
        """
        payload = {"event": record.to_json()}
        try:
            with self._write_lock, self.sessions.begin() as session:
                serialise_writers(session)
                columns = {
                    "type": record.type,
                    "camera": record.camera,
                    "zone": record.zone,
                    "lifecycle": record.lifecycle,
                    "started_at": record.started_at,
                    "ended_at": record.ended_at,
                    "confidence": record.confidence,
                    "snapshot": record.snapshot,
                    "thresholds": record.thresholds,
                    "schedule_window": record.schedule_window,
                    "latest": payload["event"],
                }
                row = create_once(session, record.id, columns)
                for name, value in columns.items():  # the state of the latest record (if this one is new)
                    setattr(row, name, value)
                stored = self._add_record(session, row, "lifecycle", record.lifecycle, record.at, payload)
        except _StoredAlready:  # the transaction is rolled back: the event row keeps its newer state
            return self._seq_of(record.id, record.lifecycle, record.at)
        self._notify(stored)
        return stored.seq

    def _seq_of(self, event_id: str, name: str, at: dt.datetime) -> int:
        query = select(EventRecordRow.seq).where(
            EventRecordRow.event_id == event_id, EventRecordRow.name == name, EventRecordRow.at == at
        )
        with self.sessions() as session:
            return session.execute(query).scalar_one()

    def act(self, event_id: str, action: Action, actor: str, note: str | None = None) -> StoredRecord:
        """Apply an operator action; it is also appended as a record, so it travels the alarm's channels."""
        if action not in TRANSITIONS["open"]:
            raise InvalidValue(f"unknown action {action!r}; expected one of {sorted(TRANSITIONS['open'])}")
        at = _now()
        with self._write_lock, self.sessions.begin() as session:
            serialise_writers(session)
            row = session.get(EventRow, event_id)
            if row is None:
                raise EventNotFound(f"no event {event_id!r}")
            state = cast(OperatorState, row.operator_state)
            if action not in TRANSITIONS[state]:
                raise InvalidTransition(f"event {event_id!r} is {state}: cannot mark it {action}")
            row.operator_state = action
            detail = {"action": action, "actor": actor, "note": note, "at": at.isoformat()}
            stored = self._add_record(session, row, "action", action, at, {"event": row.latest, "action": detail})
            session.add(
                OperatorActionRow(event_id=event_id, seq=stored.seq, action=action, actor=actor, note=note, at=at)
            )
        self._notify(stored)
        return stored

    def _add_record(
        self, session: Session, event: EventRow, kind: str, name: str, at: dt.datetime, payload: dict[str, Any]
    ) -> StoredRecord:
        # Write the event row first: no relationship() links the tables, so the unit of work would not
        # order the INSERTs by their foreign key (it falls back to the mapped classes' names).
        session.flush()
        values = {"event_id": event.id, "kind": kind, "name": name, "at": at, "payload": payload}
        seq = insert_once(session, values)
        if seq is None:
            raise _StoredAlready
        row = EventRecordRow(seq=seq, **values)  # not added: the row is in; this only carries its values
        event.last_seq = seq
        signal_commit(session, seq)
        now = _now()
        for sub in session.scalars(select(SubscriptionRow).where(SubscriptionRow.active.is_(True))):
            if sub.event_types is None or event.type in sub.event_types:
                session.add(OutboxRow(subscription_id=sub.id, seq=row.seq, next_attempt_at=now))
        return stored_record(row, event.type)

    def _notify(self, record: StoredRecord) -> None:
        for listener in self._listeners:
            try:
                listener(record)
            except Exception:  # the record is committed: a failing listener must not fail the caller
                log.exception("record listener %r failed for seq %d", listener, record.seq)

    def list_events(
        self,
        *,
        camera: str | None = None,
        zone: str | None = None,
        type: str | None = None,
        state: OperatorState | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> tuple[list[EventView], str | None]:
        """Events newest first (by start time); ``next_cursor`` is None on the last page."""
        limit = max(1, min(limit, MAX_PAGE))
        query = select(EventRow).order_by(EventRow.started_at.desc(), EventRow.id.desc()).limit(limit + 1)
        for column, value in ((EventRow.camera, camera), (EventRow.zone, zone), (EventRow.type, type)):
            if value is not None:
                query = query.where(column == value)
        if state is not None:
            query = query.where(EventRow.operator_state == state)
        if since is not None:
            query = query.where(EventRow.started_at >= since)
        if until is not None:
            query = query.where(EventRow.started_at < until)
        if cursor is not None:
            after_started, after_id = decode_cursor(cursor)
            query = query.where(
                or_(
                    EventRow.started_at < after_started,
                    and_(EventRow.started_at == after_started, EventRow.id < after_id),
                )
            )
        with self.sessions() as session:
            rows = list(session.scalars(query))
        page = [event_view(row) for row in rows[:limit]]
        next_cursor = encode_cursor(page[-1].started_at, page[-1].id) if len(rows) > limit else None
        return page, next_cursor

    def get_event(self, event_id: str) -> EventDetail:
        with self.sessions() as session:
            row = session.get(EventRow, event_id)
            if row is None:
                raise EventNotFound(f"no event {event_id!r}")
            records = session.scalars(
                select(EventRecordRow).where(EventRecordRow.event_id == event_id).order_by(EventRecordRow.seq)
            )
            actions = session.scalars(
                select(OperatorActionRow).where(OperatorActionRow.event_id == event_id).order_by(OperatorActionRow.seq)
            )
            return EventDetail(
                event=event_view(row),
                records=[stored_record(r, row.type) for r in records],
                actions=[action_view(a) for a in actions],
            )

    def latest_seq(self) -> int:
        """The newest record's seq (0 when there is none): where a new live subscriber starts."""
        with self.sessions() as session:
            return session.scalar(select(func.max(EventRecordRow.seq))) or 0

    def records_after(self, seq: int, limit: int = 100) -> list[StoredRecord]:
        """Records with a seq above ``seq``, oldest first: SSE resumes from Last-EventRow-ID with this."""
        query = (
            select(EventRecordRow, EventRow.type)
            .join(EventRow, EventRow.id == EventRecordRow.event_id)
            .where(EventRecordRow.seq > seq)
            .order_by(EventRecordRow.seq)
            .limit(max(1, min(limit, MAX_PAGE)))
        )
        with self.sessions() as session:
            return [stored_record(row, event_type) for row, event_type in session.execute(query)]

    def delivery_status(self, event_id: str) -> list[DeliveryView]:
        """Webhook deliveries of every record of the event, by seq then subscription."""
        with self.sessions() as session:
            if session.get(EventRow, event_id) is None:
                raise EventNotFound(f"no event {event_id!r}")
        return self.outbox.for_event(event_id)
