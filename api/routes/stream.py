"""``GET /events/stream``: every stored record as Server-Sent Events, resumable with Last-Event-ID.

FastAPI's own SSE support (``fastapi.sse``, FastAPI >= 0.135) does the wire format and sends a
keep-alive comment every 15 s when nothing else goes out; sse-starlette would add a dependency for the
same. What is ours is the resume: the client is registered for wake-ups first, then every batch is
read from the store as "records after the last seq sent" (see gatewatch.broadcast), so replay and live tail
are one loop with no gap and no duplicate.

A resume point above the newest seq (the store was reset or restored from an older backup) starts
from the newest record instead of waiting, silently, for the seq to catch up; the opening comment
says so. One that is not a 64-bit signed integer (SQLite's and PostgreSQL's seq) is a 422.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.sse import EventSourceResponse, ServerSentEvent

from gatewatch.api.deps import EventsReader, ServiceDep
from gatewatch.api.schemas.common import error_responses
from gatewatch.store import StoredRecord

log = logging.getLogger(__name__)
router = APIRouter()

MAX_SEQ = 2**63 - 1  # seq is a signed 64-bit integer in the database
BATCH = 200  # records read per store query while catching up
IDLE_WAKE_S = 30.0  # re-check the store now and then even without a wake-up (belt and braces)
RETRY_MS = 3000  # how long a browser waits before reconnecting


def _message(record: StoredRecord) -> ServerSentEvent:
    payload = json.dumps(record.to_json(), separators=(",", ":"), ensure_ascii=False)
    return ServerSentEvent(raw_data=payload, event=f"event.{record.name}", id=str(record.seq))


@router.get(
    "/stream",
    response_class=EventSourceResponse,
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "`id: <seq>`, `event: event.<name>`, `data: {json}`",
        },
        **error_responses(401, 403, 422),
    },
    summary="Live event records (SSE), resumable",
)
async def stream(
    service: ServiceDep,
    _who: EventsReader,
    last_event_id: Annotated[
        int | None,
        Header(ge=0, le=MAX_SEQ, description="Resume after this seq (browsers send it on reconnect)."),
    ] = None,
    after: Annotated[
        int | None, Query(ge=0, le=MAX_SEQ, description="Resume after this seq (when a header cannot be set).")
    ] = None,
) -> AsyncIterator[ServerSentEvent]:
    broadcaster = service.broadcaster
    subscription = broadcaster.subscribe()  # before reading anything: no commit can slip between
    try:
        resume = last_event_id if last_event_id is not None else after
        newest = await run_in_threadpool(service.store.latest_seq)
        last, note = _start(resume, newest)
        # First message: the client knows it is subscribed from here on (and how soon to reconnect).
        yield ServerSentEvent(comment=f"stream open after seq {last}{note}", retry=RETRY_MS)
        while True:
            records = await run_in_threadpool(service.store.records_after, last, BATCH)
            for record in records:
                yield _message(record)
                last = record.seq
            if len(records) < BATCH:  # caught up: sleep until a commit (or the idle re-check)
                await subscription.wait(IDLE_WAKE_S)
    finally:
        broadcaster.unsubscribe(subscription)


def _start(resume: int | None, newest: int) -> tuple[int, str]:
    """The seq to stream after, and why when it is not the one asked for."""
    if resume is None:
        return newest, ""
    if resume > newest:
        log.warning("SSE client resumed after seq %d, ahead of the newest %d: starting from the newest", resume, newest)
        return newest, f"; the requested seq {resume} is ahead of the newest seq {newest} (store reset or restored?)"
    return resume, ""
