"""A camera's status as the runtime reports it: its worker's stats and its lane's, in one record."""

from __future__ import annotations

from dataclasses import dataclass

from gatewatch.streams.camera_types import CameraState, CameraStats
from gatewatch.streams.lanes import LaneStats


@dataclass(frozen=True, slots=True)
class CameraStatus:
    camera: str
    state: CameraState
    frames_in: int
    fps: float
    last_frame_age_s: float | None
    reconnect_attempts: int
    reconnects: int
    last_error: str | None
    detected: int
    coasted: int
    events: int
    dropped: dict[str, int]  # by reason: superseded / stale (slot), detector_error (scheduler)
    latency_ms_p50: float | None
    latency_ms_max: float | None


def camera_status(camera_id: str, cam: CameraStats, lane: LaneStats) -> CameraStatus:
    return CameraStatus(
        camera=camera_id,
        state=cam.state,
        frames_in=cam.frames_in,
        fps=round(cam.fps, 2),
        last_frame_age_s=cam.last_frame_age_s,
        reconnect_attempts=cam.reconnect_attempts,
        reconnects=cam.reconnects,
        last_error=cam.last_error,
        detected=lane.detected,
        coasted=lane.coasted,
        events=lane.events,
        dropped={**cam.dropped, **lane.dropped},
        latency_ms_p50=lane.latency_ms_p50,
        latency_ms_max=lane.latency_ms_max,
    )
