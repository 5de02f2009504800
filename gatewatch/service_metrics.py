"""Prometheus metrics of the API side (stored events, deliveries, SSE clients), defined once here.

Pipeline metrics (frames, drops, latencies, camera up) are defined in gatewatch.streams.pipeline_metrics. All live in
prometheus_client's default registry, which ``GET /metrics`` exposes.

Delivery counters are kept as plain ints by OutboxWorker and MqttPublisher (they know every attempt);
a collector reads them at scrape time instead of mirroring them into a second set of counters.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from prometheus_client import REGISTRY, Counter, Gauge
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from gatewatch.store import StoredRecord

EVENTS_STORED = Counter(
    "gatewatch_events_stored",
    "Event records committed to the store, by event type and record (new/update/end, or an operator action).",
    ["type", "lifecycle"],
)
STORE_WRITE_FAILURES = Counter(
    "gatewatch_store_write_failures",
    "Writes the store refused (disk full, read-only, I/O error): record appends and their retries, API writes, probes.",
)
STORE_HELD_RECORDS = Gauge(
    "gatewatch_store_held_records", "Event records held in memory, in order, until the store can write them."
)
STORE_DROPPED_RECORDS = Counter(
    "gatewatch_store_dropped_records",
    "Event records dropped because the hold buffer was full (or a record could not be stored at all).",
)
SSE_CLIENTS = Gauge("gatewatch_sse_clients", "Clients connected to GET /events/stream.")


@dataclass(frozen=True, slots=True)
class DeliveryCounts:
    attempts: int
    failures: int
    lost_claims: int = 0  # webhook outcomes refused: another dispatcher had claimed the delivery again


# channel -> () -> its counts now
DeliverySource = Callable[[], DeliveryCounts]


def count_stored(record: StoredRecord) -> None:
    """Store listener."""
    EVENTS_STORED.labels(record.event_type, record.name).inc()


class _DeliveryCollector(Collector):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sources: dict[str, DeliverySource] = {}

    def bind(self, channel: str, source: DeliverySource | None) -> None:
        """Report ``channel`` from ``source`` (the running service's worker); None stops reporting it."""
        with self._lock:
            if source is None:
                self._sources.pop(channel, None)
            else:
                self._sources[channel] = source

    def collect(self) -> Iterator[CounterMetricFamily]:
        attempts = CounterMetricFamily(
            "gatewatch_delivery_attempts",
            "Delivery attempts by channel (webhook: HTTP requests; mqtt: publishes).",
            labels=["channel"],
        )
        failures = CounterMetricFamily(
            "gatewatch_delivery_failures",
            "Failed delivery attempts by channel (webhook: no 2xx answer; mqtt: refused, offline queue full).",
            labels=["channel"],
        )
        lost_claims = CounterMetricFamily(
            "gatewatch_delivery_lost_claims",
            "Delivery outcomes not stored because another dispatcher had claimed the delivery again after this "
            "one's lease ran out (a stalled dispatcher); the other dispatcher's outcome stands.",
            labels=["channel"],
        )
        with self._lock:
            sources = dict(self._sources)
        for channel, source in sorted(sources.items()):
            counts = source()
            attempts.add_metric([channel], counts.attempts)
            failures.add_metric([channel], counts.failures)
            lost_claims.add_metric([channel], counts.lost_claims)
        yield attempts
        yield failures
        yield lost_claims

    def describe(self) -> Iterator[CounterMetricFamily]:
        return iter(())  # dynamic: do not let the registry call collect() at registration


DELIVERIES = _DeliveryCollector()
REGISTRY.register(DELIVERIES)
