"""Plain values the store hands out (never ORM rows, so callers cannot touch a closed session)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from gatewatch.vision.errors import UserError

OperatorState = Literal["open", "acknowledged", "dismissed", "resolved"]
Action = Literal["acknowledged", "dismissed", "resolved"]
RecordKind = Literal["lifecycle", "action"]
DeliveryState = Literal["pending", "delivered", "failed"]
Role = Literal["viewer", "operator", "admin", "alarm"]


class StoreError(UserError):
    """Base of the store's errors."""


class EventNotFound(StoreError, LookupError):
    pass


class SubscriptionNotFound(StoreError, LookupError):
    pass


class InvalidTransition(StoreError, ValueError):
    """The operator action is not allowed from the event's current operator state."""


class InvalidCursor(StoreError, ValueError):
    pass


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """One entry of the global record sequence: a lifecycle record or an operator action."""

    seq: int
    event_id: str
    event_type: str
    kind: RecordKind
    name: str  # new/update/end, or acknowledged/dismissed/resolved
    at: dt.datetime
    payload: dict[str, Any]  # {"event": EventRecord JSON} plus {"action": {...}} for actions

    def to_json(self) -> dict[str, Any]:
        """The message sent on every channel (SSE, webhook, MQTT), shaped as Standard Webhooks suggests."""
        return {"type": f"event.{self.name}", "timestamp": self.at.isoformat(), "seq": self.seq, "data": self.payload}


@dataclass(frozen=True, slots=True)
class ActionView:
    seq: int
    action: Action
    actor: str
    note: str | None
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class EventView:
    id: str
    type: str
    camera: str
    zone: str
    lifecycle: str
    operator_state: OperatorState
    started_at: dt.datetime
    ended_at: dt.datetime | None
    confidence: float
    snapshot: str | None
    thresholds: dict[str, Any]
    schedule_window: str | None
    latest: dict[str, Any]
    last_seq: int


@dataclass(frozen=True, slots=True)
class EventDetail:
    event: EventView
    records: list[StoredRecord]
    actions: list[ActionView]


@dataclass(frozen=True, slots=True)
class SubscriptionView:
    id: int
    url: str
    secret: str
    event_types: list[str] | None
    active: bool
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class DeliveryView:
    subscription_id: int
    url: str
    seq: int
    record: str  # e.g. "event.new"
    status: DeliveryState
    attempts: int
    next_attempt_at: dt.datetime
    last_error: str | None
    last_status_code: int | None
    delivered_at: dt.datetime | None
