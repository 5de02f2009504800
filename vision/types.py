"""Small value types shared by the analytics stages (besides ``Detections``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

EventType = Literal["weapon", "loitering", "crowding"]
Lifecycle = Literal["new", "update", "end"]


@dataclass(frozen=True, slots=True)
class FrameMeta:
    """Where a frame sits in time and space.

    t_s:   monotonic seconds on the camera's clock (media time for a clip, from 0 at its start).
    wall:  wall-clock UTC time of the frame (clip start time + t_s for recordings).
    """

    t_s: float
    wall: dt.datetime
    width: int
    height: int
    index: int = 0


@dataclass(frozen=True, slots=True)
class EventRecord:
    """One lifecycle emission of an event; ``id`` is shared by the new/update/end records of one event."""

    id: str
    type: EventType
    lifecycle: Lifecycle
    camera: str
    zone: str
    track_ids: tuple[int, ...]
    start_s: float
    started_at: dt.datetime
    t_s: float  # when this record was emitted (camera clock)
    at: dt.datetime  # when this record was emitted (UTC)
    end_s: float | None
    ended_at: dt.datetime | None
    confidence: float  # peak detector score over the event so far
    thresholds: dict[str, Any]  # thresholds in force when the event started
    schedule_window: str | None
    detail: dict[str, Any] = field(default_factory=dict)  # e.g. count, peak_count, dwell_s
    snapshot: str | None = None  # filled by the writer (path or URL of an annotated JPEG)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "lifecycle": self.lifecycle,
            "camera": self.camera,
            "zone": self.zone,
            "track_ids": list(self.track_ids),
            "start_s": round(self.start_s, 3),
            "started_at": self.started_at.isoformat(),
            "t_s": round(self.t_s, 3),
            "at": self.at.isoformat(),
            "end_s": None if self.end_s is None else round(self.end_s, 3),
            "ended_at": None if self.ended_at is None else self.ended_at.isoformat(),
            "confidence": round(self.confidence, 4),
            "thresholds": self.thresholds,
            "schedule_window": self.schedule_window,
            "detail": self.detail,
            "snapshot": self.snapshot,
        }
