"""Event models: list items, detail with its record timeline, operator actions, deliveries, SSE messages."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field

from gatewatch.api.schemas.common import StrictIn
from gatewatch.redaction import scrub_text
from gatewatch.store import ActionView, DeliveryView, EventDetail, EventView, StoredRecord

OperatorStateOut = Literal["open", "acknowledged", "dismissed", "resolved"]


def snapshot_url(event: EventView) -> str | None:
    return None if event.snapshot is None else f"/events/{event.id}/snapshot.jpg"


class EventOut(BaseModel):
    id: str = Field(description="Event id, shared by its new/update/end records.")
    type: Literal["weapon", "loitering", "crowding"] = Field(description="What was detected.")
    camera: str = Field(description="Camera id.")
    zone: str = Field(description="Zone id within the camera.")
    lifecycle: Literal["new", "update", "end"] = Field(description="Latest lifecycle record of the event.")
    operator_state: OperatorStateOut = Field(description="Where an operator has taken it.")
    started_at: dt.datetime = Field(description="UTC start of the event.")
    ended_at: dt.datetime | None = Field(description="UTC end, or null while it is in progress.")
    confidence: float = Field(description="Peak detector score over the event so far.")
    thresholds: dict[str, Any] = Field(description="Rule thresholds in force when the event started.")
    schedule_window: str | None = Field(description="Schedule window in force at the start (e.g. pickup).")
    snapshot_url: str | None = Field(description="Annotated JPEG of the first frame, or null when none was taken.")
    last_seq: int = Field(description="seq of the newest record of this event (lifecycle or action).")
    latest: dict[str, Any] = Field(description="The latest lifecycle record as sent on every channel (`data.event`).")

    @classmethod
    def of(cls, event: EventView) -> EventOut:
        """The view's fields of the same names (validated: type and lifecycle are checked against the
        Literals above), and the snapshot as a URL instead of a file name."""
        same = {name: getattr(event, name) for name in cls.model_fields if name != "snapshot_url"}
        return cls(**same, snapshot_url=snapshot_url(event))


class EventPage(BaseModel):
    items: list[EventOut] = Field(description="Events, newest start first.")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class RecordOut(BaseModel):
    """One message of the global record sequence, exactly as sent by SSE, webhooks and MQTT."""

    type: str = Field(description="event.new|event.update|event.end|event.acknowledged|event.dismissed|event.resolved")
    # A string, not a datetime: the exact text every channel sends (pydantic would re-format it).
    timestamp: str = Field(description="UTC time of the record, ISO 8601 (e.g. 2026-11-23T08:30:00.123456+00:00).")
    seq: int = Field(description="Global, increasing record number: the SSE id and webhook-id `msg_<seq>`.")
    data: dict[str, Any] = Field(description="`{event: {...}}`, plus `action: {action, actor, note, at}` for actions.")

    @classmethod
    def of(cls, record: StoredRecord) -> RecordOut:
        return cls.model_validate(record.to_json())


class ActionOut(BaseModel):
    seq: int
    action: Literal["acknowledged", "dismissed", "resolved"]
    actor: str = Field(description="Name of the API key that acted.")
    note: str | None
    at: dt.datetime

    @classmethod
    def of(cls, action: ActionView) -> ActionOut:
        return cls(seq=action.seq, action=action.action, actor=action.actor, note=action.note, at=action.at)


class EventDetailOut(BaseModel):
    event: EventOut
    records: list[RecordOut] = Field(description="Every record of the event, oldest first (its timeline).")
    actions: list[ActionOut] = Field(description="Operator actions, oldest first.")
    snapshot_url: str | None = Field(description="Same as event.snapshot_url.")
    thresholds: dict[str, Any] = Field(description="Rule thresholds in force when the event started.")

    @classmethod
    def of(cls, detail: EventDetail) -> EventDetailOut:
        event = EventOut.of(detail.event)
        return cls(
            event=event,
            records=[RecordOut.of(r) for r in detail.records],
            actions=[ActionOut.of(a) for a in detail.actions],
            snapshot_url=event.snapshot_url,
            thresholds=event.thresholds,
        )


class ActionIn(StrictIn):
    note: str | None = Field(None, max_length=2000, description="Why, e.g. 'umbrella, not a weapon'.")


class DeliveryOut(BaseModel):
    subscription_id: int = Field(description="The webhook subscription (see GET /webhooks, admin).")
    url: str | None = Field(description="The webhook URL, for admin keys only (webhook URLs often carry credentials).")
    seq: int
    record: str = Field(description="Record type, e.g. event.new.")
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    next_attempt_at: dt.datetime
    last_error: str | None
    last_status_code: int | None
    delivered_at: dt.datetime | None

    @classmethod
    def of(cls, d: DeliveryView, *, admin: bool) -> DeliveryOut:
        """Other roles see the subscription id, and errors with the URL's credentials masked."""
        error = d.last_error if admin or d.last_error is None else scrub_text(d.last_error, d.url)
        return cls(
            subscription_id=d.subscription_id,
            url=d.url if admin else None,
            seq=d.seq,
            record=d.record,
            status=d.status,
            attempts=d.attempts,
            next_attempt_at=d.next_attempt_at,
            last_error=error,
            last_status_code=d.last_status_code,
            delivered_at=d.delivered_at,
        )
