"""One thread for all cameras that notices a camera whose read is blocked (reported as ``stalled``)."""

from __future__ import annotations

import threading
import time

from gatewatch.streams.camera import CameraWorker


class Watchdog:
    """One thread for all cameras: checks every ``interval_s`` how long ago each delivered a frame."""

    def __init__(self, workers: list[CameraWorker], interval_s: float = 0.2) -> None:
        self._workers = workers  # the runtime adds and removes workers live: iterate over a copy
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="camera-watchdog", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout_s: float = 2.0) -> bool:
        self._stop.set()
        self._thread.join(timeout_s)
        return not self._thread.is_alive()

    def _run(self) -> None:
        while not self._stop.wait(self._interval_s):
            now = time.monotonic()
            for worker in tuple(self._workers):  # one atomic copy under the GIL
                worker.check_watchdog(now)
