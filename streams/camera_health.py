"""A camera's state and counters: written by its thread and the watchdog, read by anyone, under one lock.

The camera thread reports what happens (a frame, a failure, a reconnect attempt, a new state); the
watchdog asks whether a running camera has gone silent. State changes reach the runtime through the
``on_state`` listener, once per change of state or of its reason.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections import deque
from collections.abc import Callable

from gatewatch.streams.camera_types import CameraState, CameraStats, StateChange
from gatewatch.streams.pipeline_metrics import FRAMES_IN

log = logging.getLogger(__name__)

FPS_WINDOW = 32  # frames of the current session the fps estimate is taken over


class CameraHealth:
    def __init__(self, camera_id: str, on_state: Callable[[StateChange], None]) -> None:
        self.camera_id = camera_id
        self._on_state = on_state
        self._lock = threading.RLock()
        self._state = CameraState.STOPPED  # until the camera starts
        self._message: str | None = None
        self._frames_in = 0
        self._recent: deque[float] = deque(maxlen=FPS_WINDOW)  # this session's capture times
        self._last_frame: float | None = None  # monotonic time of the last frame, for the watchdog
        self._reconnect_attempts = 0
        self._reconnects = 0
        self._last_error: str | None = None
        self._frames_metric = FRAMES_IN.labels(camera_id)  # resolved once, not per frame

    @property
    def state(self) -> CameraState:
        with self._lock:
            return self._state

    def set_state(self, state: CameraState, message: str | None) -> None:
        """Report a change of state, or of the reason while the state stays (a new error)."""
        with self._lock:
            previous = self._state
            if state is previous and message == self._message:
                return
            self._state = state
            self._message = message
            self._emit(state, previous, message)

    def stopped(self, message: str) -> None:
        """Report ``stopped`` unless it was already (with its own reason, e.g. "end of file")."""
        with self._lock:
            if self._state is not CameraState.STOPPED:
                self.set_state(CameraState.STOPPED, message)

    def frame_arrived(self, captured: float) -> int:
        """Count a frame decoded at monotonic time ``captured``; returns its index. Leaves any other state."""
        with self._lock:
            index = self._frames_in
            self._frames_in += 1
            self._frames_metric.inc()
            self._recent.append(captured)
            self._last_frame = captured
            if self._state is not CameraState.RUNNING:
                if self._state is CameraState.RECONNECTING:
                    self._reconnects += 1
                    log.warning("camera %s: frames again (reconnect %d)", self.camera_id, self._reconnects)
                self.set_state(CameraState.RUNNING, None)
            return index

    def new_session(self) -> None:
        with self._lock:
            self._recent.clear()  # the rate of this session, not averaged over the outage

    def failed(self, error: str) -> None:
        with self._lock:
            self._last_error = error
        log.debug("camera %s: %s", self.camera_id, error)

    def reconnect_attempted(self) -> None:
        with self._lock:
            self._reconnect_attempts += 1

    def check_stall(self, now: float, stall_after_s: float) -> None:
        """Report ``stalled`` when a running camera has not delivered a frame for ``stall_after_s``."""
        with self._lock:
            if self._state is not CameraState.RUNNING or self._last_frame is None:
                return
            silent = now - self._last_frame
            if silent > stall_after_s:
                self.set_state(CameraState.STALLED, f"no frame for {silent:.1f} s")

    def stats(self, dropped: dict[str, int]) -> CameraStats:
        with self._lock:
            recent = self._recent
            fps = (len(recent) - 1) / (recent[-1] - recent[0]) if len(recent) > 1 and recent[-1] > recent[0] else 0.0
            return CameraStats(
                state=self._state,
                frames_in=self._frames_in,
                fps=fps,
                last_frame_age_s=None if self._last_frame is None else time.monotonic() - self._last_frame,
                reconnect_attempts=self._reconnect_attempts,
                reconnects=self._reconnects,
                last_error=self._last_error,
                dropped=dropped,
            )

    def _emit(self, state: CameraState, previous: CameraState, message: str | None) -> None:
        try:
            self._on_state(StateChange(self.camera_id, state, previous, message, dt.datetime.now(dt.UTC)))
        except Exception:  # a broken listener must not take the camera down
            log.exception("camera %s: state listener failed", self.camera_id)
