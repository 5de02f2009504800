"""RecordWatch: wakes this process's readers (SSE streams, the webhook worker) when any process stores a record.

Records written in this process wake them directly (EventStore listeners). Records written by another
process on the same database (another API replica, a camera node) need a signal between processes:
on PostgreSQL, ``LISTEN gatewatch_records`` on a connection of its own (each record transaction sends
``NOTIFY`` at commit, see gatewatch.store.sequence); on SQLite, a poll of the newest seq. Either way
it only wakes: readers then read "records after the seq I had" from the store, so a notification that
is missed (while reconnecting) costs latency, never a record, and a wake-up per connect covers it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from gatewatch.store.sequence import CHANNEL

if TYPE_CHECKING:
    from gatewatch.store.event_store import EventStore

log = logging.getLogger(__name__)

RECONNECT_S = (0.5, 1.0, 2.0, 5.0)  # waits between reconnects to PostgreSQL, then the last one repeats


class RecordWatch:
    def __init__(self, store: EventStore, wake: Callable[[], None], *, poll_interval_s: float = 0.5) -> None:
        self._store = store
        self._wake = wake
        self._poll_interval_s = poll_interval_s
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.backend = store.engine.dialect.name
        self.wakeups_total = 0  # wake-ups from other processes' commits (and one per (re)connect)

    def start(self) -> None:
        target = self._listen if self.backend == "postgresql" else self._poll
        self._thread = threading.Thread(target=target, name="record-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(5.0)

    def _fire(self) -> None:
        self.wakeups_total += 1
        try:
            self._wake()
        except Exception:
            log.exception("record watch wake-up failed")

    def _poll(self) -> None:
        """SQLite: another process's commit shows as a newer seq."""
        last = self._store.latest_seq()
        while not self._stopping.wait(self._poll_interval_s):
            try:
                newest = self._store.latest_seq()
            except Exception:  # the store is briefly unavailable (disk full, locked): try again
                log.warning("record watch could not read the newest seq", exc_info=True)
                continue
            if newest > last:
                last = newest
                self._fire()

    def _listen(self) -> None:
        """PostgreSQL: LISTEN on a dedicated autocommit connection; reconnect with backoff when it drops."""
        import psycopg  # the postgres extra; only imported where the store is PostgreSQL

        url = self._store.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        failures = 0
        while not self._stopping.is_set():
            try:
                with psycopg.connect(url, autocommit=True) as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    failures = 0
                    self._fire()  # anything committed while we were not listening
                    while not self._stopping.is_set():
                        for _notify in connection.notifies(timeout=1.0):
                            self._fire()
            except psycopg.Error as exc:
                wait = RECONNECT_S[min(failures, len(RECONNECT_S) - 1)]
                failures += 1
                log.warning("record watch lost PostgreSQL (%s); reconnecting in %.1f s", exc, wait)
                self._stopping.wait(wait)
