"""Webhook delivery to a real HTTP receiver on 127.0.0.1: signatures, retries with backoff, restart."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

from gatewatch.delivery import OutboxWorker, RetryPolicy
from gatewatch.store import EventStore, SubscriptionView
from tests.event_records import new_record
from tests.webhook_receiver import Receiver

FAST = RetryPolicy(base_s=0.3, max_s=5.0, max_attempts=5, jitter=0.25)


def _wait_for(condition: Callable[[], bool], timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _all_settled(store: EventStore, event_ids: list[str]) -> bool:
    return all(d.status != "pending" for e in event_ids for d in store.delivery_status(e))


def _subscribe(
    store: EventStore, webhook_receiver: Callable[[Receiver], str], decide: Callable[[str, int], int]
) -> tuple[SubscriptionView, Receiver]:
    sub = store.subscriptions.create("http://127.0.0.1:1/placeholder")
    receiver = Receiver(sub.secret, decide)
    return store.subscriptions.update(sub.id, url=webhook_receiver(receiver)), receiver


def test_retries_with_growing_backoff_then_delivers_exactly_once(
    tmp_path: Path, webhook_receiver: Callable[[Receiver], str]
) -> None:
    store = EventStore(f"sqlite:///{tmp_path / 'gw.db'}")
    sub, receiver = _subscribe(store, webhook_receiver, lambda _id, nth: 500 if nth <= 2 else 204)
    worker = OutboxWorker(store, policy=FAST, poll_interval_s=0.05, timeout_s=5.0, allow_private_targets=True)
    worker.start()
    try:
        seq = store.append(new_record("w1", type="weapon"))
        _wait_for(lambda: _all_settled(store, ["w1"]))
    finally:
        worker.stop()
        store.close()

    msg_id = f"msg_{seq}"
    assert receiver.bad_signatures == 0
    assert len(receiver.accepted[msg_id]) == 1  # delivered exactly once
    body = receiver.accepted[msg_id][0]
    assert body["type"] == "event.new" and body["seq"] == seq and body["data"]["event"]["id"] == "w1"

    arrivals = receiver.attempts[msg_id]
    assert len(arrivals) == 3
    first_gap, second_gap = arrivals[1] - arrivals[0], arrivals[2] - arrivals[1]
    assert first_gap >= FAST.base_s * (1 - FAST.jitter)
    assert second_gap > first_gap  # exponential: ~0.3 s then ~0.6 s

    (status,) = store.delivery_status("w1")
    assert (status.subscription_id, status.status, status.attempts, status.last_status_code) == (
        sub.id,
        "delivered",
        3,
        204,
    )
    assert status.last_error is None and status.delivered_at is not None
    assert (worker.attempts_total, worker.delivered_total, worker.failed_attempts_total) == (3, 1, 2)


def test_gives_up_after_max_attempts_and_shows_it(tmp_path: Path, webhook_receiver: Callable[[Receiver], str]) -> None:
    store = EventStore(f"sqlite:///{tmp_path / 'gw.db'}")
    broken, _ = _subscribe(store, webhook_receiver, lambda _id, _nth: 500)
    healthy, healthy_receiver = _subscribe(store, webhook_receiver, lambda _id, _nth: 200)
    with socket.socket() as s:  # a loopback port with nothing listening: connection refused
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    refused = store.subscriptions.create(f"http://127.0.0.1:{closed_port}/hook")
    policy = RetryPolicy(base_s=0.05, max_s=0.2, max_attempts=3)
    worker = OutboxWorker(store, policy=policy, poll_interval_s=0.05, timeout_s=2.0, allow_private_targets=True)
    worker.start()
    try:
        seq = store.append(new_record("c1", type="crowding"))
        _wait_for(lambda: _all_settled(store, ["c1"]))
        statuses = {d.subscription_id: d for d in store.delivery_status("c1")}
    finally:
        worker.stop()
        store.close()

    assert statuses[healthy.id].status == "delivered" and len(healthy_receiver.accepted[f"msg_{seq}"]) == 1
    assert (statuses[broken.id].status, statuses[broken.id].attempts) == ("failed", 3)
    assert (statuses[broken.id].last_status_code, statuses[broken.id].last_error) == (500, "HTTP 500")
    assert (statuses[refused.id].status, statuses[refused.id].attempts) == ("failed", 3)
    assert statuses[refused.id].last_status_code is None and "ConnectError" in (statuses[refused.id].last_error or "")
    assert worker.given_up_total == 2 and worker.failed_attempts_total == 6 and worker.delivered_total == 1


def test_restart_resumes_pending_deliveries_and_loses_none(
    tmp_path: Path, webhook_receiver: Callable[[Receiver], str]
) -> None:
    url = f"sqlite:///{tmp_path / 'gw.db'}"
    receiver_up = threading.Event()  # down (503) until the second process starts
    first = EventStore(url)
    _, receiver = _subscribe(first, webhook_receiver, lambda _id, _nth: 200 if receiver_up.is_set() else 503)
    worker = OutboxWorker(first, policy=FAST, poll_interval_s=0.05, allow_private_targets=True)
    worker.start()
    event_ids = [f"ev{i}" for i in range(5)]
    for event_id in event_ids:
        first.append(new_record(event_id, type="weapon" if event_id == "ev0" else "loitering"))
    first.act("ev0", "acknowledged", "guard")
    seqs = [r.seq for r in first.records_after(0)]
    # Delivery is in order: the oldest record is retried, the others wait behind it.
    _wait_for(lambda: first.delivery_status("ev0")[0].attempts >= 1)
    worker.stop()  # "crash" with every delivery still pending
    waiting = [d for e in event_ids[1:] for d in first.delivery_status(e)]
    first.close()
    assert receiver.accepted == {}
    assert all(d.status == "pending" and d.attempts == 0 for d in waiting)

    receiver_up.set()
    second = EventStore(url)  # a new process: a new engine on the same file
    resumed = OutboxWorker(second, policy=FAST, poll_interval_s=0.05, allow_private_targets=True)
    resumed.start()
    try:
        _wait_for(lambda: _all_settled(second, event_ids))
        statuses = [d for e in event_ids for d in second.delivery_status(e)]
    finally:
        resumed.stop()
        second.close()

    assert len(seqs) == 6 and sorted(receiver.accepted) == sorted(f"msg_{s}" for s in seqs)
    assert all(len(bodies) == 1 for bodies in receiver.accepted.values())
    assert all(d.status == "delivered" for d in statuses) and statuses[0].attempts >= 2
    arrival = sorted(receiver.attempts, key=lambda msg_id: receiver.attempts[msg_id][0])
    assert arrival == [f"msg_{s}" for s in seqs]  # the store's order
    ack = receiver.accepted[f"msg_{seqs[-1]}"][0]
    assert ack["type"] == "event.acknowledged" and ack["data"]["action"]["actor"] == "guard"
