"""GET /events/stream against the served app: replay by Last-Event-ID, then live, no gap, no duplicate."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable

import httpx

from gatewatch.store import EventStore
from tests.api.conftest import RunningApp, sample_config
from tests.api.sse_client import Message, messages, records
from tests.event_records import new_record

STREAM_TIMEOUT = httpx.Timeout(10.0, read=20.0)  # a silent stream still sends a keep-alive every 15 s


def _open(app: RunningApp, key: str, **headers: str) -> tuple[httpx.Client, httpx.Response]:
    client = httpx.Client(base_url=app.base_url, timeout=STREAM_TIMEOUT)
    response = client.send(
        client.build_request("GET", "/events/stream", headers={**app.auth(key), **headers}), stream=True
    )
    assert response.status_code == 200, response.read()
    assert response.headers["content-type"].startswith("text/event-stream")
    return client, response


def _append(store: EventStore, *event_ids: str) -> list[int]:
    return [store.append(new_record(event_id)) for event_id in event_ids]


def _take(stream: object, n: int) -> list[Message]:
    return list(itertools.islice(stream, n))  # type: ignore[call-overload]


def test_resume_with_last_event_id_gets_exactly_the_missed_records(make_app: Callable[..., RunningApp]) -> None:
    app = make_app(sample_config(rules=False))  # the camera raises no events: the stream holds only ours
    store, reader = app.service.store, app.key("alarm")  # alarm: a relay that may only read events
    first = _append(store, "a", "b")

    client, response = _open(app, reader, **{"last-event-id": "0"})
    stream = messages(response)
    opening = next(stream)
    assert opening.data is None and opening.comment == "stream open after seq 0"
    seen = _take((m for m in stream if m.data is not None), 2)
    assert [int(m.id or 0) for m in seen] == first
    assert [m.event for m in seen] == ["event.new", "event.new"]
    body = seen[0].json()
    assert (body["type"], body["seq"], body["data"]["event"]["id"]) == ("event.new", first[0], "a")
    response.close()
    client.close()

    # While the client is away: two new events and an operator action through the API.
    missed = _append(store, "c", "d")
    with app.client("operator") as operator:
        acked = operator.post("/events/a/ack", json={"note": "seen on camera"})
    assert acked.status_code == 200 and acked.json()["operator_state"] == "acknowledged"
    missed.append(acked.json()["last_seq"])

    client, response = _open(app, reader, **{"last-event-id": str(first[-1])})
    stream = records(response)
    replayed = _take(stream, 3)
    assert [int(m.id or 0) for m in replayed] == missed
    assert [m.event for m in replayed] == ["event.new", "event.new", "event.acknowledged"]
    assert replayed[2].json()["data"]["action"]["actor"] == "test-operator"
    # Then live, continuing from there.
    (live_seq,) = _append(store, "e")
    (live,) = _take(stream, 1)
    assert int(live.id or 0) == live_seq and live.json()["data"]["event"]["id"] == "e"
    assert app.service.broadcaster.clients == 1
    response.close()
    client.close()
    deadline = time.monotonic() + 10  # the server notices the disconnect and drops the subscription
    while app.service.broadcaster.clients:
        assert time.monotonic() < deadline, "SSE subscription not released after the client left"
        time.sleep(0.05)


def test_new_client_starts_at_now_and_after_query_resumes(make_app: Callable[..., RunningApp]) -> None:
    app = make_app(sample_config(rules=False))
    store, reader = app.service.store, app.key("viewer")
    old = _append(store, "old1", "old2")

    client, response = _open(app, reader)
    stream = messages(response)
    assert next(stream).comment == f"stream open after seq {old[-1]}"  # history is not replayed
    (fresh,) = _append(store, "fresh")
    (message,) = _take((m for m in stream if m.data is not None), 1)
    assert int(message.id or 0) == fresh
    response.close()
    client.close()

    with (
        httpx.Client(base_url=app.base_url, timeout=STREAM_TIMEOUT) as client2,
        client2.stream("GET", f"/events/stream?after={old[0]}", headers=app.auth(reader)) as resumed,
    ):
        assert [int(m.id or 0) for m in _take(records(resumed), 2)] == [old[1], fresh]


def test_catch_up_while_records_keep_arriving_has_no_gap_or_duplicate(make_app: Callable[..., RunningApp]) -> None:
    """A backlog larger than one read batch, with a writer appending the whole time the client catches up."""
    app = make_app(sample_config(rules=False))
    store = app.service.store
    backlog = _append(store, *(f"pre{i}" for i in range(450)))
    done = threading.Event()
    written: list[int] = []

    def writer() -> None:
        for i in range(150):
            written.append(store.append(new_record(f"live{i}")))
        done.set()

    client, response = _open(app, app.key("viewer"), **{"last-event-id": "0"})
    thread = threading.Thread(target=writer)
    thread.start()
    got = [int(m.id or 0) for m in _take(records(response), 600)]
    thread.join()
    response.close()
    client.close()
    assert done.is_set()
    assert got == sorted(backlog + written)  # every record once, in seq order
    assert len(set(got)) == 600


def test_stream_refuses_missing_key_and_bad_last_event_id(make_app: Callable[..., RunningApp]) -> None:
    app = make_app(sample_config(rules=False))
    refused = httpx.get(f"{app.base_url}/events/stream", timeout=10)
    assert refused.status_code == 401 and "alarm" in refused.json()["required_roles"]
    bad = httpx.get(
        f"{app.base_url}/events/stream",
        headers={**app.auth(app.key("viewer")), "last-event-id": "not-a-seq"},
        timeout=10,
    )
    assert bad.status_code == 422


def test_last_event_id_beyond_64_bits_is_refused_not_a_broken_stream(make_app: Callable[..., RunningApp]) -> None:
    app = make_app(sample_config(rules=False))
    headers = app.auth(app.key("viewer"))
    for too_big in (2**63, 2**64, 10**30):
        refused = httpx.get(f"{app.base_url}/events/stream", headers={**headers, "last-event-id": str(too_big)})
        assert refused.status_code == 422, (too_big, refused.text)
        assert refused.json()["detail"][0]["loc"] == ["header", "last-event-id"]
        by_query = httpx.get(f"{app.base_url}/events/stream?after={too_big}", headers=headers)
        assert by_query.status_code == 422 and by_query.json()["detail"][0]["loc"] == ["query", "after"]


def test_resume_ahead_of_the_newest_seq_starts_at_the_newest_and_says_so(make_app: Callable[..., RunningApp]) -> None:
    """A client that holds a seq from before a store reset is not left waiting for the seq to catch up."""
    app = make_app(sample_config(rules=False))
    store = app.service.store
    (newest,) = _append(store, "before")
    for ahead in (newest + 1000, 2**63 - 1):
        client, response = _open(app, app.key("viewer"), **{"last-event-id": str(ahead)})
        stream = messages(response)
        opening = next(stream).comment or ""
        assert opening.startswith(f"stream open after seq {newest};")
        assert f"requested seq {ahead} is ahead of the newest seq {newest}" in opening
        (fresh,) = _append(store, f"after-{ahead}")
        (message,) = _take((m for m in stream if m.data is not None), 1)
        assert int(message.id or 0) == fresh == newest + 1
        newest = fresh
        response.close()
        client.close()
