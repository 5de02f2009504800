"""A full disk under the served app while alarms fire: no event record lost, readiness honest, writes 503.

The data dir (SQLite file and snapshots) lives on a small tmpfs the test mounts; a filler file takes its
last byte while the bottle clip keeps raising weapon alarms, then is deleted. Every record the pipeline
raised must then be in the store, and reach the webhook receiver, an SSE client and an MQTT subscriber
(a real mosquitto) in seq order.

GATEWATCH_FULL_DISK_EPISODE_S sets how long the disk stays full (default 8 s to keep the suite fast;
scripts/full-disk-episode runs 60 s), GATEWATCH_FULL_DISK_RESULTS a JSON file for the measured figures.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from gatewatch.vision.types import EventRecord
from tests.api.conftest import RunningApp, sample_config
from tests.api.sse_client import records
from tests.disk import SmallDisk
from tests.event_records import new_record
from tests.mqtt_broker import Broker, Subscriber
from tests.webhook_receiver import Receiver

EPISODE_S = float(os.environ.get("GATEWATCH_FULL_DISK_EPISODE_S", "8"))
# The webhook receiver listens on loopback, which the webhook target policy refuses unless allowed.
FAST = {
    "webhook_backoff_base_s": 0.2,
    "webhook_backoff_max_s": 1.0,
    "webhook_poll_interval_s": 0.1,
    "webhook_allow_private_targets": True,
}


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[SmallDisk]:
    disk = SmallDisk(tmp_path / "disk", size_mb=24)
    disk.mount()
    yield disk
    disk.unmount()


def _wait_for(condition: Callable[[], object], timeout_s: float, what: str) -> float:
    """Poll until ``condition()`` is truthy; returns the monotonic time it became so."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {timeout_s} s waiting for {what}"
        time.sleep(0.05)
    return time.monotonic()


class Spy:
    """Every record the pipeline hands the service, wrapped around the scheduler's event sink."""

    def __init__(self, app: RunningApp) -> None:
        self.raised: list[EventRecord] = []
        scheduler = app.service.runtime.scheduler
        sink = scheduler._on_event

        def spy(record: EventRecord) -> None:
            self.raised.append(record)
            sink(record)

        scheduler._on_event = spy


def _stored_keys(app: RunningApp) -> set[tuple[str, str, str]]:
    """(event id, record name, at) of every stored lifecycle record."""
    records, last = [], 0
    while batch := app.service.store.records_after(last, 500):
        records += batch
        last = batch[-1].seq
    return {(r.event_id, r.name, r.payload["event"]["at"]) for r in records if r.kind == "lifecycle"}


def _key(record: EventRecord) -> tuple[str, str, str]:
    return (record.id, record.lifecycle, record.to_json()["at"])


def _collect_sse(app: RunningApp, key: str, into: list[int], stop: threading.Event) -> None:
    with httpx.Client(base_url=app.base_url, timeout=httpx.Timeout(10.0, read=20.0)) as client:
        request = client.build_request("GET", "/events/stream", headers={**app.auth(key), "last-event-id": "0"})
        response = client.send(request, stream=True)
        try:
            for message in records(response):
                into.append(int(message.id or 0))
                if stop.is_set():
                    return
        except httpx.TransportError:
            if not stop.is_set():  # cut by the server's shutdown after the test is done: expected
                raise
        finally:
            response.close()


def test_full_disk_loses_no_record_and_readiness_says_so(
    make_app: Callable[..., RunningApp],
    webhook_receiver: Callable[[Receiver], str],
    small_disk: SmallDisk,
    mqtt_broker: Broker,
) -> None:
    config = sample_config(detection_fps=4.0)
    zone = config["cameras"][0]["zones"][0]
    config["cameras"][0]["zones"] += [{**zone, "id": f"table{i}"} for i in range(2, 5)]  # 4 zones: more alarms
    mqtt = Subscriber(mqtt_broker.port, "gatewatch/events")  # before the app: it sees every record
    mqtt_host = {"mqtt_host": "127.0.0.1", "mqtt_port": mqtt_broker.port}
    app = make_app(config, data_dir=small_disk.mountpoint / "data", **FAST, **mqtt_host)
    spy = Spy(app)
    receiver = Receiver("", lambda _id, _nth: 204)
    sse_seqs: list[int] = []
    stop_sse = threading.Event()
    with app.client("admin") as admin, app.client("operator") as operator:
        created = admin.post("/webhooks", json={"url": webhook_receiver(receiver)})
        receiver.secret = created.json()["secret"]
        threading.Thread(target=_collect_sse, args=(app, app.key("alarm"), sse_seqs, stop_sse), daemon=True).start()
        subscribed_at = len(spy.raised)
        _wait_for(lambda: len(spy.raised) >= subscribed_at + 2, 60, "alarms delivered to the subscriber")
        ready = admin.get("/readyz")
        assert ready.status_code == 200, ready.text

        # The episode: the disk is full while the clip keeps raising alarms.
        seq_before_episode = app.service.store.latest_seq()
        filled_at = dt.datetime.now(dt.UTC)
        small_disk.fill()
        raised_before = len(spy.raised)
        health = app.service.store_health
        _wait_for(lambda: health.error and app.service.writer.held, 30, "a record held after a failed write")
        first_failure = health.first_failure_at
        assert first_failure is not None
        not_ready = admin.get("/readyz")
        readyz_503_after_s = (dt.datetime.now(dt.UTC) - first_failure).total_seconds()
        assert not_ready.status_code == 503 and not_ready.json()["checks"]["store"] is False
        assert "held until the store can write" in not_ready.json()["reasons"]["store"]
        assert readyz_503_after_s < 5.0

        # API writes are refused with the reason, not a bare 500.
        event_id = spy.raised[0].id
        refused = operator.post(f"/events/{event_id}/ack", json={"note": "seen"})
        assert refused.status_code == 503, refused.text
        assert "cannot write" in refused.json()["detail"] and refused.headers["retry-after"]
        patched = operator.patch("/cameras/bench/zones/table", json={"weapon": {"min_confidence": 0.55}})
        assert patched.status_code == 503, patched.text
        weapon = app.service.live.zone("bench", "table").weapon
        assert weapon is not None and weapon.min_confidence == 0.5  # not applied either
        metrics = admin.get("/metrics").text
        assert _metric(metrics, "gatewatch_store_write_failures_total") >= 1
        assert _metric(metrics, "gatewatch_store_held_records") >= 1

        time.sleep(max(0.0, EPISODE_S - (dt.datetime.now(dt.UTC) - filled_at).total_seconds()))
        raised_during = len(spy.raised) - raised_before
        held_at_end = app.service.writer.held
        small_disk.free()
        freed = time.monotonic()

        ready_again = _wait_for(
            lambda: admin.get("/readyz").status_code == 200, 15, "/readyz 200 after space came back"
        )
        assert app.service.writer.held == 0
        assert operator.post(f"/events/{event_id}/ack").status_code in (200, 409)  # 409: already closed by then

    # Nothing lost: every record the pipeline raised is stored (the in-flight ones within a few seconds).
    raised = list(spy.raised)
    _wait_for(lambda: {_key(r) for r in raised} <= _stored_keys(app), 15, "every raised record stored")
    assert app.service.writer.dropped_total == 0
    assert raised_during >= 1, "no alarm fired while the disk was full: the test proved nothing"

    # ... and delivered in the store's order on every channel.
    newest = app.service.store.latest_seq()
    _wait_for(lambda: sse_seqs and sse_seqs[-1] >= newest, 15, "the SSE client to catch up")
    stop_sse.set()
    assert sse_seqs == sorted(sse_seqs) and len(set(sse_seqs)) == len(sse_seqs)
    assert sse_seqs[: len(range(1, newest + 1))] == list(range(1, newest + 1))
    _wait_for(lambda: f"msg_{newest}" in receiver.accepted, 20, "every record at the webhook receiver")
    # The pipeline may alarm before the subscription exists: those records have no delivery to it.
    with app.service.store.engine.connect() as conn:
        query = "SELECT seq FROM webhook_outbox WHERE seq <= ? ORDER BY seq"  # alarms go on meanwhile
        subscribed = conn.exec_driver_sql(query, (newest,)).scalars().all()
    assert subscribed == list(range(subscribed[0], newest + 1)) and subscribed[0] <= seq_before_episode
    arrival = sorted(receiver.attempts, key=lambda msg_id: receiver.attempts[msg_id][0])
    assert [int(msg_id.removeprefix("msg_")) for msg_id in arrival][: len(subscribed)] == subscribed
    # MQTT: every record once; the pipeline's records in seq order (an operator action is published from
    # its request's thread, so it may come just before or after a record stored at the same moment).
    published = _drain(mqtt, until_seq=newest)
    mqtt.close()
    assert sorted(seq for seq, _ in published if seq <= newest) == list(range(1, newest + 1))
    lifecycle = [seq for seq, kind in published if kind in ("event.new", "event.update", "event.end")]
    assert lifecycle == sorted(lifecycle)

    _record_results(
        episode_s=EPISODE_S,
        records_raised_during_episode=raised_during,
        records_held_at_end_of_episode=held_at_end,
        records_lost=len({_key(r) for r in raised} - _stored_keys(app)),
        readyz_503_after_first_failed_write_s=round(readyz_503_after_s, 3),
        readyz_200_after_space_freed_s=round(ready_again - freed, 3),
        write_failures_counted=app.service.store_health.failures_total,
    )


def _metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith((name + " ", name + "{")):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"metric {name} not exposed")


def _drain(subscriber: Subscriber, until_seq: int) -> list[tuple[int, str]]:
    """(seq, type) of the messages received until ``until_seq`` has come (10 s at most), and 0.5 s more."""
    received: list[tuple[int, str]] = []
    deadline, settle = time.monotonic() + 10, None
    while settle is None or time.monotonic() < settle:
        if settle is None and any(seq >= until_seq for seq, _ in received):
            settle = time.monotonic() + 0.5  # one stored just before it may be published just after it
        assert time.monotonic() < deadline, f"MQTT stopped at {received[-1:]}, expected seq {until_seq}"
        try:
            _topic, payload, _retain = subscriber.next(timeout_s=0.2)
        except queue.Empty:
            continue
        message = json.loads(payload)
        received.append((message["seq"], message["type"]))
    return received


def _record_results(**figures: object) -> None:
    path = os.environ.get("GATEWATCH_FULL_DISK_RESULTS")
    if path:
        Path(path).write_text(json.dumps(figures, indent=2) + "\n")


def test_readyz_probe_sees_a_full_disk_without_alarms_and_does_not_write_per_call(
    make_app: Callable[..., RunningApp], small_disk: SmallDisk
) -> None:
    """No record is being written: the probe's own real writes find the full disk, at most one per 2 s."""
    app = make_app(sample_config(rules=False), data_dir=small_disk.mountpoint / "data")
    with app.client() as anyone:
        assert anyone.get("/readyz").status_code == 200

        def probe_write_time() -> str:
            with app.service.store.engine.connect() as conn:
                return str(conn.exec_driver_sql("SELECT at FROM store_probe").scalar_one())

        writes = {probe_write_time()}
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline:  # a burst of probes: answered from the last real write
            assert anyone.get("/readyz").status_code == 200
            writes.add(probe_write_time())
        assert len(writes) <= 2, f"the probe wrote {len(writes)} times in 1.5 s (at most once per 2 s)"

        small_disk.fill()
        full_at = time.monotonic()
        _wait_for(lambda: anyone.get("/readyz").status_code == 503, 5, "/readyz 503 on a full disk")
        assert time.monotonic() - full_at <= 2.5
        body = anyone.get("/readyz").json()
        assert body["checks"]["store"] is False and "No space left on device" in body["reasons"]["store"]
        small_disk.free()
        _wait_for(lambda: anyone.get("/readyz").status_code == 200, 5, "/readyz 200 once space is back")


def test_hold_buffer_is_bounded_drops_the_newest_and_counts_them(
    make_app: Callable[..., RunningApp], small_disk: SmallDisk
) -> None:
    app = make_app(sample_config(rules=False), data_dir=small_disk.mountpoint / "data", store_max_held_records=100)
    writer, health = app.service.writer, app.service.store_health
    with app.client() as anyone:
        dropped_before = _metric(anyone.get("/metrics").text, "gatewatch_store_dropped_records_total")
    small_disk.fill()
    appended: list[str] = []
    while health.error is None:  # SQLite may fit a few records into log space it already has
        appended.append(f"r{len(appended)}")
        writer.append(new_record(appended[-1]))
        assert len(appended) < 1000, "the full disk never refused a write"
    stored_before = len(appended) - 1
    for _ in range(120):
        appended.append(f"r{len(appended)}")
        writer.append(new_record(appended[-1]))
    assert writer.held == 100 and writer.dropped_total == 21  # the 1 refused + 120 more, 100 kept
    with app.client() as anyone:
        metrics = anyone.get("/metrics").text
    assert _metric(metrics, "gatewatch_store_held_records") == 100
    assert _metric(metrics, "gatewatch_store_dropped_records_total") - dropped_before == 21

    small_disk.free()
    _wait_for(lambda: writer.held == 0, 10, "the held records stored")
    stored = [r.event_id for r in app.service.store.records_after(0, 500)]
    assert stored == appended[: stored_before + 100]  # in order; the newest 21 were the ones dropped


def test_records_held_at_stop_go_to_the_spill_file_and_are_stored_at_the_next_start(
    make_app: Callable[..., RunningApp], small_disk: SmallDisk, tmp_path: Path
) -> None:
    spill = tmp_path / "elsewhere" / "held.jsonl"  # on another disk than the full data dir
    data_dir = small_disk.mountpoint / "data"
    first = make_app(sample_config(rules=False), data_dir=data_dir, store_spill_path=spill)
    writer, health = first.service.writer, first.service.store_health
    small_disk.fill()
    appended: list[str] = []
    while health.error is None or len(appended) < 5:  # some fit in log space SQLite has; then 5+ held
        appended.append(f"s{len(appended)}")
        writer.append(new_record(appended[-1]))
        assert len(appended) < 1000, "the full disk never refused a write"
    held = appended[len(appended) - writer.held :]
    assert len(held) >= 1
    first.stop()  # a clean stop while the disk is still full
    assert [json.loads(line)["id"] for line in spill.read_text().splitlines()] == held

    small_disk.free()
    second = make_app(sample_config(rules=False), data_dir=data_dir, store_spill_path=spill)
    _wait_for(lambda: not spill.exists(), 10, "the spill file stored and removed")
    stored = [r.event_id for r in second.service.store.records_after(0, 500) if r.name == "new"]
    assert stored == appended  # every record once, in the order they were raised
