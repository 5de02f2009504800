"""Live view: MJPEG stream and JPEG snapshot of a camera's newest analysed frame (viewer)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response, StreamingResponse

from gatewatch.api.deps import ServiceDep, Viewer
from gatewatch.api.routes.cameras import CameraId
from gatewatch.api.schemas.common import ErrorOut, error_responses
from gatewatch.live_view import BOUNDARY
from gatewatch.service import Service

router = APIRouter(prefix="/cameras/{camera_id}", tags=["live view"])

Overlay = Annotated[bool, Query(description="Draw boxes, zones and alarms; false gives the clean frame (zone editor).")]
NO_FRAME: dict[int | str, dict[str, Any]] = {
    503: {"model": ErrorOut, "description": "The camera has no frame yet (its state is in the body)."}
}
NO_STORE = {"cache-control": "no-store"}


def _no_frame(service: Service, camera_id: str) -> JSONResponse:
    camera = service.live.camera(camera_id)  # 404 for an unknown camera
    status = service.runtime.status().get(camera_id)
    state = status.state.value if status is not None else ("stopped" if camera.enabled else "disabled")
    return JSONResponse({"detail": f"camera {camera_id!r} has no frame yet (state: {state})", "state": state}, 503)


@router.get(
    "/snapshot.jpg",
    response_class=Response,
    responses={
        200: {"content": {"image/jpeg": {}}, "description": "The newest analysed frame"},
        **error_responses(401, 403, 404),
        **NO_FRAME,
    },
    summary="Snapshot of the newest frame",
)
async def snapshot(camera_id: CameraId, service: ServiceDep, _who: Viewer, overlay: Overlay = True) -> Response:
    jpeg = await run_in_threadpool(service.frames.jpeg, camera_id, overlay)
    if jpeg is None:
        return _no_frame(service, camera_id)
    latest = service.frames.latest(camera_id)
    headers = dict(NO_STORE)
    if latest is not None:
        headers["x-frame-time"] = latest.frame.wall.isoformat()  # the viewer can tell a stale picture
    return Response(jpeg, media_type="image/jpeg", headers=headers)


@router.get(
    "/stream.mjpeg",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {f"multipart/x-mixed-replace; boundary={BOUNDARY}": {}},
            "description": "JPEG parts, newest frame first, at most `fps` per second",
        },
        **error_responses(401, 403, 404, 422),
        **NO_FRAME,
    },
    summary="Live MJPEG stream",
)
async def stream(
    camera_id: CameraId,
    service: ServiceDep,
    _who: Viewer,
    overlay: Overlay = True,
    fps: Annotated[float | None, Query(gt=0, le=60, description="Frame-rate cap (server cap: mjpeg_max_fps).")] = None,
) -> Response:
    """Frames are sent only when new: while a camera is stalled or reconnecting, nothing is sent."""
    if service.frames.latest(camera_id) is None:
        return _no_frame(service, camera_id)
    cap = service.settings.mjpeg_max_fps
    rate = min(fps, cap) if fps is not None else cap
    return StreamingResponse(
        service.frames.mjpeg(camera_id, rate, overlay),
        media_type=f"multipart/x-mixed-replace; boundary={BOUNDARY}",
        headers=NO_STORE,
    )
