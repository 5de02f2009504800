"""Functions other threads hand to one owner thread, so the state it owns needs no lock.

The scheduler owns lanes and analyzers; a live config change ``call``s a function that runs on the
scheduler thread at the start of its next round (or inline while the loop is not running), and the
caller waits on the returned future.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")


class CommandQueue:
    def __init__(self, wakeup: threading.Event) -> None:
        self._wakeup = wakeup  # wakes the owner's loop so a command does not wait for its idle timeout
        self._commands: deque[tuple[Callable[[], Any], Future[Any]]] = deque()
        self._lock = threading.Lock()
        self._running = False

    def claim(self) -> None:
        """The owner loop runs (or is about to start): from now on commands queue for its thread."""
        with self._lock:
            self._running = True

    def release(self) -> None:
        """The owner loop has ended: commands run inline on the caller's thread again."""
        with self._lock:
            self._running = False

    def call(self, fn: Callable[[], T]) -> Future[T]:
        """Run ``fn`` on the owner thread before its next round; inline while the loop is not running."""
        future: Future[T] = Future()
        with self._lock:
            if self._running:
                self._commands.append((fn, future))
                self._wakeup.set()
                return future
        _resolve(fn, future)
        return future

    def run_pending(self) -> None:
        """Owner thread: run every queued command, oldest first."""
        while True:
            with self._lock:
                if not self._commands:
                    return
                fn, future = self._commands.popleft()
            _resolve(fn, future)


def _resolve(fn: Callable[[], T], future: Future[T]) -> None:
    try:
        future.set_result(fn())
    except Exception as exc:
        future.set_exception(exc)
