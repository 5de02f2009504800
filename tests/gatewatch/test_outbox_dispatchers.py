"""Two webhook dispatchers draining one outbox (PostgreSQL, or one SQLite file), to real receivers.

Each dispatcher has its own EventStore (its own engine and connections), as two processes would; the
claim is ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, SQLite's write lock taken before the read on SQLite,
plus a lease, and only each subscriber's oldest pending record is ever claimed, so a receiver gets
every record once, in seq order, whichever dispatcher sends it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from gatewatch.delivery import OutboxWorker, RetryPolicy
from gatewatch.store import EventStore
from tests.event_records import new_record
from tests.webhook_receiver import Receiver

FAST = RetryPolicy(base_s=0.05, max_s=0.2, max_attempts=10, jitter=0.25)
RECORDS = 40
SUBSCRIBERS = 3


def _refuse_every_seventh_once(msg_id: str, nth: int) -> int:
    return 503 if int(msg_id.removeprefix("msg_")) % 7 == 0 and nth == 1 else 204


def test_two_dispatchers_deliver_each_record_once_in_order(
    database_url: str, webhook_receiver: Callable[[Receiver], str]
) -> None:
    writer = EventStore(database_url)
    receivers = []
    for _ in range(SUBSCRIBERS):
        sub = writer.subscriptions.create("http://127.0.0.1:1/placeholder")
        receiver = Receiver(sub.secret, _refuse_every_seventh_once)
        writer.subscriptions.update(sub.id, url=webhook_receiver(receiver))
        receivers.append(receiver)
    stores = [EventStore(database_url) for _ in range(2)]
    workers = [
        OutboxWorker(s, policy=FAST, poll_interval_s=0.02, timeout_s=5.0, concurrency=2, allow_private_targets=True)
        for s in stores
    ]
    for worker in workers:
        worker.start()
    # Written by a third store while both dispatchers run; a second thread writes half of them.
    halves = [range(0, RECORDS, 2), range(1, RECORDS, 2)]
    threads = [threading.Thread(target=lambda h=h: [writer.append(new_record(f"e{i}")) for i in h]) for h in halves]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seqs = [r.seq for r in writer.records_after(0, limit=RECORDS + 1)]
    expected = [f"msg_{seq}" for seq in seqs]
    deadline = time.monotonic() + 30
    while any(len(r.accepted) < RECORDS for r in receivers):
        assert time.monotonic() < deadline, [len(r.accepted) for r in receivers]
        time.sleep(0.05)
    for worker in workers:
        worker.stop()
    for store in [*stores, writer]:
        store.close()

    assert len(seqs) == RECORDS
    for receiver in receivers:
        assert receiver.bad_signatures == 0
        assert list(receiver.accepted) == expected  # each record accepted, in seq order
        assert all(len(bodies) == 1 for bodies in receiver.accepted.values())  # once
        retried = [m for m, arrivals in receiver.attempts.items() if len(arrivals) > 1]
        assert retried == [m for m in expected if int(m.removeprefix("msg_")) % 7 == 0]
        assert all(len(receiver.attempts[m]) == 2 for m in retried)  # refused once, then delivered
    sent = [w.delivered_total for w in workers]
    assert sum(sent) == RECORDS * SUBSCRIBERS
    assert all(n > 0 for n in sent), sent  # both took part: else this would show nothing about two
