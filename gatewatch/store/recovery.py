"""End the events a previous process left open: after a crash they would otherwise stay active forever.

A clean stop ends every open event (reason ``shutdown``). A killed process cannot, and the new one starts
with fresh analyzers: if the situation persists it raises a new event. So at start, each event whose last
record is not ``end`` gets an end record with reason ``interrupted``, ended at its last known record
(when it was last seen active). It travels every channel like any record, so consumers close it too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection
from typing import Any

from sqlalchemy import select

from gatewatch.store import EventStore
from gatewatch.store.tables import EventRow
from gatewatch.vision.types import EventRecord

END_REASON = "interrupted"


def end_interrupted_events(
    store: EventStore,
    append: Callable[[EventRecord], object] | None = None,
    *,
    cameras: Collection[str] | None = None,
    reason: str = END_REASON,
    ids: Collection[str] | None = None,
) -> list[str]:
    """Append an end record to every event left open; returns their ids. Call before the pipeline starts.

    ``append`` writes each record (the service's RecordWriter, which holds it if the store fails).
    ``cameras``: only those cameras' events. On a database shared by several processes (PostgreSQL) a
    starting process must end only the events of the cameras it runs: the others' are still live.
    ``reason``: the end reason recorded (a camera restarted by the cluster after its node died: ``node_lost``).
    ``ids``: only these events (the cluster ends a camera's events with different reasons).
    """
    append = append or store.append
    query = select(EventRow).where(EventRow.lifecycle != "end")
    if cameras is not None:
        query = query.where(EventRow.camera.in_(list(cameras)))
    if ids is not None:
        query = query.where(EventRow.id.in_(list(ids)))
    with store.sessions() as session:
        latest = [row.latest for row in session.scalars(query)]
    for event in latest:
        append(_end_record(event, reason))
    return [event["id"] for event in latest]


def _end_record(event: dict[str, Any], reason: str) -> EventRecord:
    last_seen = dt.datetime.fromisoformat(event["at"])
    return EventRecord(
        id=event["id"],
        type=event["type"],
        lifecycle="end",
        camera=event["camera"],
        zone=event["zone"],
        track_ids=tuple(event["track_ids"]),
        start_s=event["start_s"],
        started_at=dt.datetime.fromisoformat(event["started_at"]),
        t_s=event["t_s"],
        at=last_seen,
        end_s=event["t_s"],
        ended_at=last_seen,
        confidence=event["confidence"],
        thresholds=event["thresholds"],
        schedule_window=event["schedule_window"],
        detail={**event["detail"], "end_reason": reason},
        snapshot=event["snapshot"],
    )
