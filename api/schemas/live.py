"""Response models of the live-control routes: cameras with their state, detector, audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field

from gatewatch.streams.camera_config import CameraConfig
from gatewatch.vision.types import EventRecord

CameraStateOut = Literal["connecting", "running", "stalled", "reconnecting", "stopped", "disabled"]


class ActiveEventOut(BaseModel):
    id: str = Field(description="Event id (see GET /events/{id}).")
    type: str = Field(description="weapon, loitering or crowding.")
    zone: str = Field(description="Zone id.")
    started_at: dt.datetime = Field(description="UTC start of the event.")
    track_ids: list[int] = Field(description="Tracks behind the alarm in the latest analysed frame.")
    confidence: float = Field(description="Peak detector score so far.")

    @classmethod
    def of(cls, record: EventRecord) -> ActiveEventOut:
        return cls(
            id=record.id,
            type=record.type,
            zone=record.zone,
            started_at=record.started_at,
            track_ids=list(record.track_ids),
            confidence=record.confidence,
        )


class CameraOut(BaseModel):
    id: str = Field(description="Camera id.")
    name: str | None = Field(description="Display name.")
    enabled: bool = Field(description="Disabled cameras are configured but not opened.")
    state: CameraStateOut = Field(description="Worker state; 'disabled' when not enabled.")
    frames_in: int = Field(description="Frames decoded since the camera's worker started.")
    fps: float = Field(description="Recent delivery rate.")
    last_frame_age_s: float | None = Field(description="Seconds since the newest frame; null before the first.")
    reconnect_attempts: int = Field(description="Attempts to reopen the source (a dead camera keeps counting).")
    reconnects: int = Field(description="Reconnects that delivered frames again.")
    last_error: str | None = Field(description="The latest source error (passwords removed).")
    detected: int = Field(description="Frames sent to the detector.")
    coasted: int = Field(description="Frames tracked forward only (not due for detection).")
    events: int = Field(description="Event records emitted.")
    dropped: dict[str, int] = Field(description="Frames dropped, by reason.")
    latency_ms_p50: float | None = Field(description="Median decode-to-analysis latency over recent frames.")
    zone_counts: dict[str, int] = Field(description="Objects counted per zone in the latest analysed frame.")
    active_events: list[ActiveEventOut] = Field(description="Events in progress on this camera.")
    config: CameraConfig = Field(description="The camera's running configuration (source password removed).")


class DetectorOut(BaseModel):
    model: str = Field(description="Model name from models/manifest.toml.")
    classes: list[str] = Field(description="Class names the model detects (usable in rules).")
    detection_fps: float = Field(description="Frames per second sent to the model per camera.")


class AuditOut(BaseModel):
    id: int = Field(description="Entry id; pass the last one as before_id for the next page.")
    at: dt.datetime = Field(description="UTC time of the change.")
    actor: str = Field(description="Name of the API key that made it.")
    what: str = Field(description="Path of what changed, e.g. cameras.gate.zones.table.")
    old: Any = Field(description="Value before (null for a creation).")
    new: Any = Field(description="Value after (null for a deletion).")


class AuditPage(BaseModel):
    items: list[AuditOut] = Field(description="Newest first.")
    next_before_id: int | None = Field(description="before_id of the next (older) page; null at the end.")
