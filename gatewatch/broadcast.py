"""Wakes SSE clients when a record is committed; the records themselves are always read from the store.

Reading from the store on every wake-up makes the live tail and the Last-Event-ID replay one code path:
a client asks for "records after the last seq I sent", so it can neither skip a record (one committed
while it was reading the backlog wakes it again) nor get one twice. A wake-up is a flag, not a queue,
so a slow client costs no memory however many records arrive meanwhile.
"""

from __future__ import annotations

import asyncio
import threading

from gatewatch.service_metrics import SSE_CLIENTS
from gatewatch.store import StoredRecord


class WakeFlag:
    """One SSE client's wake-up flag, set from any thread, awaited on the client's event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._event = asyncio.Event()

    def wake(self) -> None:
        self._loop.call_soon_threadsafe(self._event.set)

    async def wait(self, timeout_s: float) -> bool:
        """True when woken within ``timeout_s``; the flag is cleared for the next wait."""
        try:
            await asyncio.wait_for(self._event.wait(), timeout_s)
        except TimeoutError:
            return False
        self._event.clear()
        return True


class Broadcaster:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: set[WakeFlag] = set()

    def subscribe(self) -> WakeFlag:
        """Register before reading the backlog, so a record committed during that read still wakes us."""
        subscription = WakeFlag(asyncio.get_running_loop())
        with self._lock:
            self._subscribers.add(subscription)
        SSE_CLIENTS.inc()
        return subscription

    def unsubscribe(self, subscription: WakeFlag) -> None:
        with self._lock:
            present = subscription in self._subscribers
            self._subscribers.discard(subscription)
        if present:
            SSE_CLIENTS.dec()

    def publish(self, _record: StoredRecord) -> None:
        """Store listener (runs in the writing thread): wake every client; never blocks."""
        self.wake_all()

    def wake_all(self) -> None:
        """Wake every client (a record was committed, here or by another process); never blocks."""
        with self._lock:
            subscribers = list(self._subscribers)
        for subscription in subscribers:
            try:
                subscription.wake()
            except RuntimeError:  # its event loop is closed: the server is shutting down
                self.unsubscribe(subscription)

    @property
    def clients(self) -> int:
        with self._lock:
            return len(self._subscribers)
