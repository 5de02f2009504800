"""RecordWriter: the one way event records reach the store, in order, never lost because it failed.

A record the store refuses (disk full, read-only file, I/O error) is held in memory, and so is every
record after it: they wait in their original order, and a retry thread stores them once writes
succeed again. Only then do the store's listeners see them (SSE, MQTT, webhook outbox), each with its
seq, in that order. While records are held the alarms are *held*, not sent: ``/readyz`` answers 503
with the reason and the count, ``gatewatch_store_held_records`` shows how many wait and the log says
when holding starts and ends. Sending an alarm that has no seq yet would break the one guarantee every
channel gives (each record once per channel, in seq order, resumable by seq).

The buffer is bounded (``max_held``, 10,000 by default: hours of alarms for a large site). Past it,
newer records are dropped and counted in ``gatewatch_store_dropped_records_total``, because memory
for a pipeline that cannot store anything for that long is the lesser loss. Records still held when
the process stops go to the spill file (``spill_path``, on another disk), and are held again, before
any new record, at the next start.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from gatewatch.service_metrics import STORE_DROPPED_RECORDS, STORE_HELD_RECORDS
from gatewatch.store import EventStore
from gatewatch.store.health import StoreHealth
from gatewatch.store.spill import read_spill, write_spill
from gatewatch.vision.errors import GatewatchError
from gatewatch.vision.types import EventRecord

log = logging.getLogger(__name__)


class StoreUnavailable(GatewatchError):
    """The store cannot write now (the API answers 503 with this reason)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RecordWriter:
    def __init__(
        self,
        store: EventStore,
        health: StoreHealth,
        *,
        max_held: int = 10_000,
        retry_interval_s: float = 1.0,
        spill_path: Path | None = None,
    ) -> None:
        self._store = store
        self._health = health
        self._max_held = max_held
        self._retry_interval_s = retry_interval_s
        self._spill_path = spill_path
        self._spill_pending = False  # records read from the spill file are not all stored yet
        self._held: deque[EventRecord] = deque()
        self._queue_lock = threading.Lock()  # guards _held (short holds only)
        self._write_lock = threading.Lock()  # one flusher at a time: records are stored in arrival order
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.dropped_total = 0

    @property
    def held(self) -> int:
        with self._queue_lock:
            return len(self._held)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._retry_loop, name="record-writer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop retrying after one last try; records still held then go to the spill file, if there is one."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(30)
        self.flush()
        with self._queue_lock:
            left = list(self._held)
        if not left:
            return
        if self._spill_path is not None:
            try:
                write_spill(self._spill_path, left)
            except OSError as exc:
                log.error("cannot write the spill file %s: %s", self._spill_path, exc)
            else:
                log.warning("%d held event record(s) kept in %s for the next start", len(left), self._spill_path)
                return
        log.error("stopping with %d event record(s) the store never took: %s", len(left), [r.id for r in left])

    def replay_spill(self) -> int:
        """At start: hold the spilled records (before any new one) and try to store them; returns how many.

        The file stays until they are stored (a stop before that writes it again with all records held).
        """
        if self._spill_path is None:
            return 0
        records = read_spill(self._spill_path)
        self._spill_pending = bool(records)
        for record in records:
            self.append(record)
        return len(records)

    def append(self, record: EventRecord) -> None:
        """Store ``record`` now, or hold it behind the ones already waiting (never raises for the store)."""
        with self._queue_lock:
            if len(self._held) >= self._max_held:
                self.dropped_total += 1
                STORE_DROPPED_RECORDS.inc()
                if self.dropped_total & (self.dropped_total - 1) == 0:  # 1st, 2nd, 4th...: not one line each
                    log.error(
                        "%d records held already: %s record of event %s dropped (%d dropped so far)",
                        self._max_held,
                        record.lifecycle,
                        record.id,
                        self.dropped_total,
                    )
                return
            self._held.append(record)
            STORE_HELD_RECORDS.set(len(self._held))
            alone = len(self._held) == 1
        if alone:  # nothing older waits: write it at once, in this thread; else the retry thread will
            self.flush()

    def flush(self) -> bool:
        """Store every held record, oldest first; False (and the rest still held) at the first failure."""
        with self._write_lock:
            while True:
                with self._queue_lock:
                    if not self._held:
                        return True
                    record = self._held[0]
                try:
                    self._store.append(record)
                except SQLAlchemyError as exc:
                    self._health.failed(exc)
                    return False
                except Exception:  # not the store failing but this record: it must not block the ones after it
                    log.exception(
                        "event record %s (%s) cannot be stored: dropped",
                        record.id,
                        record.lifecycle,
                    )
                    self.dropped_total += 1
                    STORE_DROPPED_RECORDS.inc()
                with self._queue_lock:
                    self._held.popleft()
                    STORE_HELD_RECORDS.set(len(self._held))
                    if not self._held:
                        self._health.succeeded()
                        self._forget_spill()

    def _forget_spill(self) -> None:
        """Everything read from the spill file is stored: remove it, so a later start does not store it twice."""
        if self._spill_pending and self._spill_path is not None:
            self._spill_path.unlink(missing_ok=True)
            self._spill_pending = False

    def require_flushed(self) -> None:
        """For API writes: store what is held first (records keep their order), or raise StoreUnavailable."""
        if not self.flush():
            raise StoreUnavailable(self._health.error or "the store cannot write")

    def _retry_loop(self) -> None:
        while not self._stopping.wait(self._retry_interval_s):
            if self.held:
                held = self.held
                if self.flush():
                    log.warning("stored %d held event record(s) in order", held)
