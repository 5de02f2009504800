"""Event store figures on SQLite and on a real PostgreSQL (started here, as the tests do).

    python -m bench.store_bench --json bench/results/store-backends.json

Per backend: record writes per second from several writers on two engines (as two processes; on
PostgreSQL they share one advisory lock so seqs commit in order), the same records replayed (each
a no-op), how soon another process hears of a commit (RecordWatch: NOTIFY, or the SQLite poll), and
webhook deliveries per second with two dispatchers draining one outbox to a local receiver.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from gatewatch.delivery import OutboxWorker
from gatewatch.store import EventStore
from gatewatch.store.tables import EventRecordRow
from gatewatch.store.watch import RecordWatch
from gatewatch.vision.types import EventRecord
from tests.event_records import new_record
from tests.postgres_server import PostgresServer
from tests.webhook_receiver import Receiver, serve_receivers


def _ms(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50_ms": round(1000 * statistics.median(ordered), 2),
        "p95_ms": round(1000 * ordered[int(0.95 * (len(ordered) - 1))], 2),
    }


def _parallel(stores: list[EventStore], writers: int, records: list[EventRecord]) -> tuple[float, list[float]]:
    """Append ``records`` from ``writers`` threads spread over ``stores``; seconds taken and each latency."""
    latencies: list[float] = []
    lock = threading.Lock()

    def write(n: int) -> None:
        store = stores[n % len(stores)]
        for record in records[n::writers]:
            start = time.perf_counter()
            store.append(record)
            with lock:
                latencies.append(time.perf_counter() - start)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start, latencies


def writes(url: str, count: int, writers: int) -> dict[str, Any]:
    stores = [EventStore(url) for _ in range(2)]
    records = [new_record(f"w{writers}-{i}") for i in range(count)]
    seconds, latencies = _parallel(stores, writers, records)
    replay_s, _ = _parallel(stores, writers, records)
    with stores[0].sessions() as session:
        stored = session.scalar(select(func.count()).select_from(EventRecordRow))
    for store in stores:
        store.close()
    return {
        "writers": writers,
        "records": count,
        "records_per_s": round(count / seconds, 1),
        **_ms(latencies),
        "replayed_per_s": round(count / replay_s, 1),
        "rows_after_replay": stored,
    }


def wake_latency(url: str, samples: int, poll_interval_s: float) -> dict[str, Any]:
    here, other = EventStore(url), EventStore(url)
    woken = threading.Event()
    woken_at = [0.0]

    def wake() -> None:
        woken_at[0] = time.perf_counter()
        woken.set()

    watch = RecordWatch(here, wake, poll_interval_s=poll_interval_s)
    watch.start()
    time.sleep(1.0)  # connected and past the first wake-up
    latencies = []
    for i in range(samples):
        woken.clear()
        start = time.perf_counter()  # from the write's start: the wake-up may come before append returns
        other.append(new_record(f"wake-{i}"))
        if not woken.wait(10):
            raise RuntimeError("no wake-up within 10 s")
        latencies.append(woken_at[0] - start)
        time.sleep(0.02)
    watch.stop()
    here.close()
    other.close()
    return {"samples": samples, "poll_interval_s": None if watch.backend == "postgresql" else poll_interval_s} | _ms(
        latencies
    )


def dispatch(url: str, count: int, subscribers: int) -> dict[str, Any]:
    writer = EventStore(url)
    starts = serve_receivers()
    start_receiver: Callable[[Receiver], str] = next(starts)
    receivers = []
    for _ in range(subscribers):
        sub = writer.subscriptions.create("http://127.0.0.1:1/placeholder")
        receivers.append(Receiver(sub.secret, lambda _id, _nth: 204))
        writer.subscriptions.update(sub.id, url=start_receiver(receivers[-1]))
    for i in range(count):
        writer.append(new_record(f"d-{i}"))
    stores = [EventStore(url) for _ in range(2)]
    workers = [
        OutboxWorker(s, poll_interval_s=0.05, concurrency=subscribers, allow_private_targets=True) for s in stores
    ]
    start = time.perf_counter()
    for worker in workers:
        worker.start()
    while sum(len(r.accepted) for r in receivers) < count * subscribers:
        time.sleep(0.01)
    seconds = time.perf_counter() - start
    for worker in workers:
        worker.stop()
    next(starts, None)  # stops the receivers
    duplicates = sum(len(bodies) - 1 for r in receivers for bodies in r.accepted.values())
    for store in [*stores, writer]:
        store.close()
    return {
        "deliveries": count * subscribers,
        "subscribers": subscribers,
        "dispatchers": 2,
        "deliveries_per_s": round(count * subscribers / seconds, 1),
        "per_dispatcher": [w.delivered_total for w in workers],
        "duplicates": duplicates,
    }


def run_backend(url: Callable[[], str], args: argparse.Namespace) -> dict[str, Any]:
    return {
        "writes": [writes(url(), args.records, n) for n in (1, 4)],
        "wake": wake_latency(url(), 50, 0.5),
        "dispatch": dispatch(url(), args.deliveries, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--deliveries", type=int, default=500, help="records delivered to each of 2 subscribers")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results: dict[str, Any] = {
        "machine": {
            "cpu_count": os.cpu_count(),
            "load_average_1m": os.getloadavg()[0],
            "python": platform.python_version(),
        }
    }
    with tempfile.TemporaryDirectory() as folder:
        counter = iter(range(1000))
        results["sqlite"] = run_backend(lambda: f"sqlite:///{folder}/gw{next(counter)}.db", args)
    server = PostgresServer()
    server.start()
    try:
        results["postgresql"] = run_backend(server.create_database, args)
    finally:
        server.stop()
    text = json.dumps(results, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
