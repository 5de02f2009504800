"""Events: list and detail, snapshot, webhook deliveries, operator actions, and the live SSE stream."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body, HTTPException, Path, Query
from fastapi.responses import FileResponse
from pydantic import AwareDatetime

from gatewatch.api.deps import EventsReader, Operator, ServiceDep
from gatewatch.api.json_route import StrictJsonRoute
from gatewatch.api.routes.stream import router as stream_router
from gatewatch.api.schemas.common import error_responses
from gatewatch.api.schemas.events import (
    ActionIn,
    DeliveryOut,
    EventDetailOut,
    EventOut,
    EventPage,
)
from gatewatch.store import Action

router = APIRouter(route_class=StrictJsonRoute, prefix="/events", tags=["events"])
router.include_router(stream_router)  # /events/stream before /events/{event_id}

EventId = Annotated[str, Path(min_length=1, max_length=64, description="Event id.")]
READ_ERRORS = error_responses(401, 403, 404)


@router.get("", response_model=EventPage, responses=error_responses(400, 401, 403, 422), summary="List events")
def list_events(
    service: ServiceDep,
    _who: EventsReader,
    camera: Annotated[str | None, Query(max_length=64, description="Camera id.")] = None,
    zone: Annotated[str | None, Query(max_length=64, description="Zone id.")] = None,
    type: Annotated[Literal["weapon", "loitering", "crowding"] | None, Query(description="Event type.")] = None,
    state: Annotated[
        Literal["open", "acknowledged", "dismissed", "resolved"] | None, Query(description="Operator state.")
    ] = None,
    since: Annotated[AwareDatetime | None, Query(description="Started at or after (ISO 8601 with offset).")] = None,
    until: Annotated[AwareDatetime | None, Query(description="Started before (ISO 8601 with offset).")] = None,
    cursor: Annotated[str | None, Query(max_length=500, description="`next_cursor` of the previous page.")] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="Page size.")] = 50,
) -> EventPage:
    items, next_cursor = service.store.list_events(
        camera=camera, zone=zone, type=type, state=state, since=since, until=until, cursor=cursor, limit=limit
    )
    return EventPage(items=[EventOut.of(e) for e in items], next_cursor=next_cursor)


@router.get("/{event_id}", response_model=EventDetailOut, responses=READ_ERRORS, summary="One event and its timeline")
def get_event(event_id: EventId, service: ServiceDep, _who: EventsReader) -> EventDetailOut:
    return EventDetailOut.of(service.store.get_event(event_id))


@router.get(
    "/{event_id}/snapshot.jpg",
    response_class=FileResponse,
    responses={200: {"content": {"image/jpeg": {}}, "description": "Annotated JPEG"}, **READ_ERRORS},
    summary="The event's snapshot",
)
def get_snapshot(event_id: EventId, service: ServiceDep, _who: EventsReader) -> FileResponse:
    event = service.store.get_event(event_id).event
    path = None if event.snapshot is None else service.settings.data_dir / event.snapshot
    if path is None or not path.is_file():
        raise HTTPException(404, f"event {event_id!r} has no snapshot")
    return FileResponse(path, media_type="image/jpeg")


@router.get(
    "/{event_id}/deliveries",
    response_model=list[DeliveryOut],
    responses=READ_ERRORS,
    summary="Webhook deliveries of the event's records",
)
def get_deliveries(event_id: EventId, service: ServiceDep, who: EventsReader) -> list[DeliveryOut]:
    """Webhook URLs are shown to admin keys only; other roles see subscription ids."""
    admin = who.role == "admin"
    return [DeliveryOut.of(d, admin=admin) for d in service.store.delivery_status(event_id)]


def _act(service: ServiceDep, event_id: str, action: Action, actor: str, body: ActionIn | None) -> EventOut:
    service.writer.require_flushed()  # an action follows the held records of its event, or is refused (503)
    service.store.act(event_id, action, actor, None if body is None else body.note)
    return EventOut.of(service.store.get_event(event_id).event)


ACT_ERRORS = error_responses(401, 403, 404, 409, 422, 503)
NoteBody = Annotated[ActionIn | None, Body(description="Optional note.")]


@router.post("/{event_id}/ack", response_model=EventOut, responses=ACT_ERRORS, summary="Acknowledge an event")
def ack(event_id: EventId, service: ServiceDep, who: Operator, body: NoteBody = None) -> EventOut:
    return _act(service, event_id, "acknowledged", who.name, body)


@router.post("/{event_id}/dismiss", response_model=EventOut, responses=ACT_ERRORS, summary="Dismiss (false alarm)")
def dismiss(event_id: EventId, service: ServiceDep, who: Operator, body: NoteBody = None) -> EventOut:
    return _act(service, event_id, "dismissed", who.name, body)


@router.post("/{event_id}/resolve", response_model=EventOut, responses=ACT_ERRORS, summary="Resolve (handled)")
def resolve(event_id: EventId, service: ServiceDep, who: Operator, body: NoteBody = None) -> EventOut:
    return _act(service, event_id, "resolved", who.name, body)
