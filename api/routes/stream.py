"""``GET /events/stream``: every stored record as Server-Sent Events, resumable with Last-Event-ID.

FastAPI's own SSE support (``fastapi.sse``, FastAPI >= 0.135) does the wire format and sends a
keep-alive comment every 15 s when nothing else goes out; sse-starlette would add a dependency for the
same. What is ours is the resume: the client is registered for wake-ups first, then every batch is
read from the store as "records after the last seq sent" (see gatewatch.broadcast), so replay and live tail
are one loop with no gap and no duplicate.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.sse import EventSourceResponse, ServerSentEvent

from gatewatch.api.deps import EventsReader, ServiceDep
from gatewatch.api.schemas.common import error_responses
from gatewatch.store import StoredRecord

router = APIRouter()

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
        int | None, Header(ge=0, description="Resume after this seq (browsers send it on reconnect).")
    ] = None,
    after: Annotated[
        int | None, Query(ge=0, description="Resume after this seq (when a header cannot be set).")
    ] = None,
) -> AsyncIterator[ServerSentEvent]:
    broadcaster = service.broadcaster
    subscription = broadcaster.subscribe()  # before reading anything: no commit can slip between
    try:
        resume = last_event_id if last_event_id is not None else after
        last = resume if resume is not None else await run_in_threadpool(service.store.latest_seq)
        # First message: the client knows it is subscribed from here on (and how soon to reconnect).
        yield ServerSentEvent(comment=f"stream open after seq {last}", retry=RETRY_MS)
        while True:
            records = await run_in_threadpool(service.store.records_after, last, BATCH)
            for record in records:
                yield _message(record)
                last = record.seq
            if len(records) < BATCH:  # caught up: sleep until a commit (or the idle re-check)
                await subscription.wait(IDLE_WAKE_S)
    finally:
        broadcaster.unsubscribe(subscription)
