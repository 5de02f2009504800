"""Named weekly schedules referenced by crowding rules: read (viewer), put and delete live (operator)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.concurrency import run_in_threadpool

from gatewatch.api.deps import Operator, ServiceDep, Viewer
from gatewatch.api.json_route import StrictJsonRoute
from gatewatch.api.schemas.common import error_responses
from gatewatch.vision.analytics_config import IDENTIFIER_PATTERN, ScheduleConfig

router = APIRouter(route_class=StrictJsonRoute, prefix="/schedules", tags=["schedules"])

ScheduleName = Annotated[str, Path(pattern=IDENTIFIER_PATTERN, description="Schedule name.")]


@router.get("", response_model=dict[str, ScheduleConfig], responses=error_responses(401, 403), summary="Schedules")
def list_schedules(service: ServiceDep, _who: Viewer) -> dict[str, ScheduleConfig]:
    return service.live.config.schedules


@router.put(
    "/{name}", response_model=ScheduleConfig, responses=error_responses(401, 403, 422), summary="Create or replace"
)
async def put_schedule(name: ScheduleName, body: ScheduleConfig, service: ServiceDep, who: Operator) -> ScheduleConfig:
    """Crowding thresholds of the schedule's windows apply from the next frame."""
    return await run_in_threadpool(service.live.put_schedule, who.name, name, body)


@router.delete("/{name}", status_code=204, responses=error_responses(401, 403, 404, 422), summary="Delete a schedule")
async def delete_schedule(name: ScheduleName, service: ServiceDep, who: Operator) -> None:
    """422 (with the rule's path) while a crowding rule still refers to it."""
    await run_in_threadpool(service.live.delete_schedule, who.name, name)
