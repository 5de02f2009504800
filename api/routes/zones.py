"""Zones of a camera: read (viewer); create, replace, merge-patch, delete live (operator)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path
from fastapi.concurrency import run_in_threadpool

from gatewatch.api.deps import Operator, ServiceDep, Viewer
from gatewatch.api.json_route import StrictJsonRoute
from gatewatch.api.routes.cameras import CameraId
from gatewatch.api.schemas.common import error_responses
from gatewatch.vision.analytics_config import IDENTIFIER_PATTERN, ZoneConfig

router = APIRouter(route_class=StrictJsonRoute, prefix="/cameras/{camera_id}/zones", tags=["zones"])

ZoneId = Annotated[str, Path(pattern=IDENTIFIER_PATTERN, description="Zone id.")]
CHANGE_ERRORS = error_responses(401, 403, 404, 409, 422)
MergePatch = Annotated[
    dict[str, Any],
    Body(
        description="RFC 7396 JSON merge patch of the zone: objects merge, null removes "
        '(e.g. {"loitering": {"dwell_s": 5}} or {"crowding": null}).',
        openapi_examples={"dwell": {"value": {"loitering": {"dwell_s": 5}}}},
        media_type="application/merge-patch+json",
    ),
]


@router.get("", response_model=list[ZoneConfig], responses=error_responses(401, 403, 404), summary="A camera's zones")
def list_zones(camera_id: CameraId, service: ServiceDep, _who: Viewer) -> list[ZoneConfig]:
    return service.live.camera(camera_id).zones


@router.get("/{zone_id}", response_model=ZoneConfig, responses=error_responses(401, 403, 404), summary="One zone")
def get_zone(camera_id: CameraId, zone_id: ZoneId, service: ServiceDep, _who: Viewer) -> ZoneConfig:
    return service.live.zone(camera_id, zone_id)


@router.post("", status_code=201, response_model=ZoneConfig, responses=CHANGE_ERRORS, summary="Add a zone (live)")
async def add_zone(camera_id: CameraId, body: ZoneConfig, service: ServiceDep, who: Operator) -> ZoneConfig:
    return await run_in_threadpool(service.live.put_zone, who.name, camera_id, body, create=True)


@router.put("/{zone_id}", response_model=ZoneConfig, responses=CHANGE_ERRORS, summary="Replace a zone (live)")
async def replace_zone(
    camera_id: CameraId, zone_id: ZoneId, body: ZoneConfig, service: ServiceDep, who: Operator
) -> ZoneConfig:
    return await run_in_threadpool(service.live.replace_zone, who.name, camera_id, zone_id, body)


@router.patch("/{zone_id}", response_model=ZoneConfig, responses=CHANGE_ERRORS, summary="Merge-patch a zone (live)")
async def patch_zone(
    camera_id: CameraId, zone_id: ZoneId, body: MergePatch, service: ServiceDep, who: Operator
) -> ZoneConfig:
    """Tune thresholds without resending the polygon; the result is validated like the config file."""
    return await run_in_threadpool(service.live.patch_zone, who.name, camera_id, zone_id, body)


@router.delete("/{zone_id}", status_code=204, responses=CHANGE_ERRORS, summary="Delete a zone (live)")
async def delete_zone(camera_id: CameraId, zone_id: ZoneId, service: ServiceDep, who: Operator) -> None:
    """Open events of the zone end with reason ``config_change``."""
    await run_in_threadpool(service.live.delete_zone, who.name, camera_id, zone_id)
