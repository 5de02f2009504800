"""ORM row -> plain value conversions shared by the store's modules."""

from __future__ import annotations

from dataclasses import fields
from typing import cast

from gatewatch.store.tables import EventRecordRow, EventRow, OperatorActionRow, SubscriptionRow
from gatewatch.store.types import (
    Action,
    ActionView,
    EventView,
    RecordKind,
    StoredRecord,
    SubscriptionView,
)


def stored_record(row: EventRecordRow, event_type: str) -> StoredRecord:
    return StoredRecord(
        seq=row.seq,
        event_id=row.event_id,
        event_type=event_type,
        kind=cast(RecordKind, row.kind),
        name=row.name,
        at=row.at,
        payload=row.payload,
    )


def event_view(row: EventRow) -> EventView:
    """Every EventView field is the row's column of the same name."""
    return EventView(**{field.name: getattr(row, field.name) for field in fields(EventView)})


def action_view(row: OperatorActionRow) -> ActionView:
    return ActionView(seq=row.seq, action=cast(Action, row.action), actor=row.actor, note=row.note, at=row.at)


def subscription_view(row: SubscriptionRow) -> SubscriptionView:
    return SubscriptionView(
        id=row.id,
        url=row.url,
        secret=row.secret,
        event_types=row.event_types,
        active=row.active,
        created_at=row.created_at,
    )
