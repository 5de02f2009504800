"""Cameras: list with live state and counters (viewer); add, replace, remove live (admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.concurrency import run_in_threadpool

from gatewatch.api.deps import Admin, ServiceDep, Viewer
from gatewatch.api.json_route import StrictJsonRoute
from gatewatch.api.schemas.common import error_responses
from gatewatch.api.schemas.live import ActiveEventOut, CameraOut
from gatewatch.config.edit import SOURCE_FIELDS, redact_camera
from gatewatch.redaction import scrub_text
from gatewatch.service import Service
from gatewatch.streams.camera_config import CameraConfig
from gatewatch.streams.status import CameraStatus
from gatewatch.vision.analytics_config import IDENTIFIER_PATTERN

router = APIRouter(route_class=StrictJsonRoute, prefix="/cameras", tags=["cameras"])

CameraId = Annotated[str, Path(pattern=IDENTIFIER_PATTERN, description="Camera id.")]
CHANGE_ERRORS = error_responses(401, 403, 404, 409, 422)


def camera_out(service: Service, camera: CameraConfig, statuses: dict[str, CameraStatus] | None = None) -> CameraOut:
    statuses = service.runtime.status() if statuses is None else statuses
    status = statuses.get(camera.id) if camera.enabled else None
    latest = service.frames.latest(camera.id)
    analysis = latest.analysis if latest is not None else None
    config = camera.model_copy(update=redact_camera({k: getattr(camera, k) for k in SOURCE_FIELDS}))
    error = status.last_error if status is not None else None
    return CameraOut(
        id=camera.id,
        name=camera.name,
        enabled=camera.enabled,
        state=status.state.value if status is not None else ("stopped" if camera.enabled else "disabled"),
        frames_in=status.frames_in if status else 0,
        fps=status.fps if status else 0.0,
        last_frame_age_s=status.last_frame_age_s if status else None,
        reconnect_attempts=status.reconnect_attempts if status else 0,
        reconnects=status.reconnects if status else 0,
        last_error=scrub_text(error, camera.source) if error else None,
        detected=status.detected if status else 0,
        coasted=status.coasted if status else 0,
        events=status.events if status else 0,
        dropped=status.dropped if status else {},
        latency_ms_p50=status.latency_ms_p50 if status else None,
        zone_counts=dict(analysis.zone_counts) if analysis is not None else {},
        active_events=[ActiveEventOut.of(r) for r in analysis.active] if analysis is not None else [],
        config=config,
    )


@router.get("", response_model=list[CameraOut], responses=error_responses(401, 403), summary="Cameras and their state")
def list_cameras(service: ServiceDep, _who: Viewer) -> list[CameraOut]:
    statuses = service.runtime.status()  # once for all cameras
    return [camera_out(service, c, statuses) for c in service.live.config.cameras]


@router.get("/{camera_id}", response_model=CameraOut, responses=error_responses(401, 403, 404), summary="One camera")
def get_camera(camera_id: CameraId, service: ServiceDep, _who: Viewer) -> CameraOut:
    return camera_out(service, service.live.camera(camera_id))


@router.post("", status_code=201, response_model=CameraOut, responses=CHANGE_ERRORS, summary="Add a camera (live)")
async def add_camera(body: CameraConfig, service: ServiceDep, who: Admin) -> CameraOut:
    camera = await run_in_threadpool(service.live.add_camera, who.name, body)
    return camera_out(service, camera)


@router.put("/{camera_id}", response_model=CameraOut, responses=CHANGE_ERRORS, summary="Replace a camera (live)")
async def replace_camera(camera_id: CameraId, body: CameraConfig, service: ServiceDep, who: Admin) -> CameraOut:
    """Zones, masks or name only: applied from the next frame. Source settings: the camera restarts."""
    camera = await run_in_threadpool(service.live.replace_camera, who.name, camera_id, body)
    return camera_out(service, camera)


@router.delete("/{camera_id}", status_code=204, responses=CHANGE_ERRORS, summary="Remove a camera (live)")
async def remove_camera(camera_id: CameraId, service: ServiceDep, who: Admin) -> None:
    """Its worker is stopped and joined; its open events end with reason ``camera_removed``."""
    await run_in_threadpool(service.live.remove_camera, who.name, camera_id)
