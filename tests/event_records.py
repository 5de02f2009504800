"""EventRecord builders for the store and delivery tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from gatewatch.vision.types import EventRecord, EventType

T0 = dt.datetime(2025, 3, 3, 7, 30, tzinfo=dt.UTC)


def new_record(
    event_id: str,
    *,
    type: EventType = "loitering",
    camera: str = "gate1",
    zone: str = "entrance",
    started_at: dt.datetime = T0,
    confidence: float = 0.8,
) -> EventRecord:
    return EventRecord(
        id=event_id,
        type=type,
        lifecycle="new",
        camera=camera,
        zone=zone,
        track_ids=(7,),
        start_s=12.0,
        started_at=started_at,
        t_s=12.0,
        at=started_at,
        end_s=None,
        ended_at=None,
        confidence=confidence,
        thresholds={"dwell_s": 30.0},
        schedule_window="morning",
        detail={"dwell_s": 31.0},
        snapshot=f"snapshots/{event_id}.jpg",
    )


def end_record(record: EventRecord, after_s: float = 40.0) -> EventRecord:
    ended = record.started_at + dt.timedelta(seconds=after_s)
    return replace(
        record, lifecycle="end", t_s=record.start_s + after_s, at=ended, end_s=record.start_s + after_s, ended_at=ended
    )
