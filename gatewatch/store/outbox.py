"""The webhook outbox as the delivery worker sees it: claim due rows, then record each attempt's outcome.

A claim is a lease plus a token: the claim writes a fresh random ``claim_token`` into the row, and the
outcome is written only where the row still holds that token (one conditional UPDATE, its row count
checked). A dispatcher that stalled past its lease, while another one claimed the row again, finds its
token replaced: its outcome is refused instead of overwriting the newer claim's (a delivered row marked
failed, or marked twice). The outcome clears the token, so one claim records one outcome.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from gatewatch.store.convert import stored_record
from gatewatch.store.sequence import lock_sqlite_for_write
from gatewatch.store.tables import EventRecordRow, EventRow, OutboxRow, SubscriptionRow
from gatewatch.store.types import DeliveryState, DeliveryView, StoredRecord


@dataclass(frozen=True, slots=True)
class Delivery:
    outbox_id: int
    subscription_id: int
    url: str
    secret: str
    attempt: int  # 1 for the first try
    record: StoredRecord
    claim_token: str  # the outcome is stored only while the row still holds it


class Outbox:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def claim_due(self, now: dt.datetime, limit: int, lease: dt.timedelta) -> list[Delivery]:
        """Take the oldest pending delivery of up to ``limit`` active subscriptions, where it is due.

        Only each subscription's oldest pending record is ever sent (its head of line): a receiver gets
        records in seq order, one at a time, and one that is being retried holds back those after it
        until it is delivered or given up. Subscriptions are served side by side.
        The attempt is counted and the row pushed ``lease`` ahead before sending: a process that dies
        mid-send leaves it to be retried after the lease (at least once, never lost), and another
        worker does not take it meanwhile (SKIP LOCKED on PostgreSQL; SQLite: its write lock, taken first).
        """
        heads = (
            select(OutboxRow.subscription_id, func.min(OutboxRow.seq).label("seq"))
            .where(OutboxRow.status == "pending")
            .group_by(OutboxRow.subscription_id)
            .subquery()
        )
        query = (
            select(OutboxRow, SubscriptionRow, EventRecordRow, EventRow.type)
            .join(heads, (heads.c.subscription_id == OutboxRow.subscription_id) & (heads.c.seq == OutboxRow.seq))
            .join(SubscriptionRow, SubscriptionRow.id == OutboxRow.subscription_id)
            .join(EventRecordRow, EventRecordRow.seq == OutboxRow.seq)
            .join(EventRow, EventRow.id == EventRecordRow.event_id)
            .where(OutboxRow.status == "pending", OutboxRow.next_attempt_at <= now, SubscriptionRow.active.is_(True))
            .order_by(OutboxRow.seq, OutboxRow.id)
            .limit(limit)
            .with_for_update(of=OutboxRow, skip_locked=True)
        )
        with self._sessions.begin() as session:
            lock_sqlite_for_write(session)  # SQLite's stand-in for SKIP LOCKED: one claim at a time
            claimed = []
            for row, sub, record, event_type in session.execute(query):
                row.attempts += 1
                row.next_attempt_at = now + lease
                row.claim_token = uuid.uuid4().hex
                record_view = stored_record(record, event_type)
                claimed.append(
                    Delivery(row.id, sub.id, sub.url, sub.secret, row.attempts, record_view, row.claim_token)
                )
            return claimed

    def succeeded(self, delivery: Delivery, status_code: int) -> bool:
        """Mark ``delivery`` delivered; False (nothing written) when its claim was lost to another dispatcher."""
        delivered_at = dt.datetime.now(dt.UTC)
        return self._finish(
            delivery, status="delivered", last_status_code=status_code, last_error=None, delivered_at=delivered_at
        )

    def retry_at(self, delivery: Delivery, when: dt.datetime, error: str, status_code: int | None) -> bool:
        """Leave ``delivery`` pending until ``when``; False when its claim was lost."""
        return self._finish(delivery, next_attempt_at=when, last_error=error, last_status_code=status_code)

    def give_up(self, delivery: Delivery, error: str, status_code: int | None) -> bool:
        """Mark ``delivery`` failed for good; False when its claim was lost."""
        return self._finish(delivery, status="failed", last_error=error, last_status_code=status_code)

    def _finish(self, delivery: Delivery, **outcome: Any) -> bool:
        statement = (
            update(OutboxRow)
            .where(OutboxRow.id == delivery.outbox_id, OutboxRow.claim_token == delivery.claim_token)
            .values(claim_token=None, **outcome)
        )
        with self._sessions.begin() as session:
            result = cast(CursorResult[Any], session.execute(statement))
            return result.rowcount == 1

    def for_event(self, event_id: str) -> list[DeliveryView]:
        query = (
            select(OutboxRow, SubscriptionRow.url, EventRecordRow.name)
            .join(SubscriptionRow, SubscriptionRow.id == OutboxRow.subscription_id)
            .join(EventRecordRow, EventRecordRow.seq == OutboxRow.seq)
            .where(EventRecordRow.event_id == event_id)
            .order_by(OutboxRow.seq, OutboxRow.subscription_id)
        )
        with self._sessions() as session:
            return [
                DeliveryView(
                    subscription_id=row.subscription_id,
                    url=url,
                    seq=row.seq,
                    record=f"event.{name}",
                    status=cast(DeliveryState, row.status),
                    attempts=row.attempts,
                    next_attempt_at=row.next_attempt_at,
                    last_error=row.last_error,
                    last_status_code=row.last_status_code,
                    delivered_at=row.delivered_at,
                )
                for row, url, name in session.execute(query)
            ]
