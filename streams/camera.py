"""One camera: a thread that keeps a source open, decodes it, and hands frames to a ``FrameSlot``.

States::

    connecting -> running <-> stalled
         |           |           |
         v           v           v
    reconnecting (backoff, reopen) -> running ...        any state -> stopped

A dead source never blocks the thread for long: opening gives up after ``open_timeout_s`` and a
read after ``read_timeout_s`` (FFmpeg interrupt callback). While a read is blocked the ``Watchdog``
(one thread for all cameras) reports ``stalled`` from the time of the last frame. Failures are
reported through the state listener with the reason; there are never placeholder frames.
State and counters live in ``CameraHealth`` (camera_health.py); this module runs the sessions.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

from gatewatch.streams.buffer import FrameSlot
from gatewatch.streams.camera_config import CameraConfig
from gatewatch.streams.camera_health import CameraHealth
from gatewatch.streams.camera_types import CameraState, CameraStats, CapturedFrame, StateChange
from gatewatch.streams.decode import Picture, SourceError, VideoReader
from gatewatch.streams.pipeline_metrics import CAMERA_CLOCK_JUMPS

log = logging.getLogger(__name__)

# Long enough for FFmpeg to learn codec and size of a live stream, short enough for a fast reconnect.
LIVE_ANALYZE_S = 0.5
END_OF_FILE = "end of file"


def is_local_file(source: str) -> bool:
    return "://" not in source and not source.startswith("/dev/")


def _without_credentials(text: str, source: str) -> str:
    """``text`` with the source URL's user, password and query left out, for the log."""
    parts = urlsplit(source)
    if not parts.netloc:
        return text
    host = parts.netloc.rpartition("@")[2]
    return text.replace(source, urlunsplit((parts.scheme, host, parts.path, "", "")))


def backoff_delay(failures: int, min_s: float, max_s: float, jitter: float, rng: random.Random) -> float:
    """Doubling wait for the n-th consecutive failure (n >= 1), capped, scaled by a random 1 +/- jitter."""
    base = min(max_s, min_s * 2.0 ** min(failures - 1, 30))
    return base * (1.0 + jitter * rng.uniform(-1.0, 1.0))


class CameraWorker:
    """Owns one thread; ``start`` once, ``stop`` + ``join`` to end it."""

    def __init__(
        self,
        config: CameraConfig,
        slot: FrameSlot[CapturedFrame],
        on_state: Callable[[StateChange], None],
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self.slot = slot
        self._rng = rng or random.Random()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"camera-{config.id}", daemon=True)
        # State and counters: written by this camera's thread and the watchdog, read by anyone.
        self.health = CameraHealth(config.id, on_state)
        self._t0 = time.monotonic()
        self._last_t = -1.0
        self._session = -1

    @property
    def camera_id(self) -> str:
        return self.config.id

    @property
    def state(self) -> CameraState:
        return self.health.state

    def start(self) -> None:
        self._t0 = time.monotonic()
        self.health.set_state(CameraState.CONNECTING, f"opening {self.config.source}")  # before the thread reports
        self._thread.start()

    def stop(self) -> None:
        """Ask the thread to end; it notices between frames or when a blocked open/read times out."""
        self._stop.set()

    def join(self, timeout_s: float) -> bool:
        """Wait for the thread; True once it has ended."""
        self._thread.join(timeout_s)
        return not self._thread.is_alive()

    @property
    def max_block_s(self) -> float:
        """The longest the thread can stay inside FFmpeg before it sees ``stop``."""
        return self.config.open_timeout_s + self.config.read_timeout_s

    def check_watchdog(self, now: float) -> None:
        """Report ``stalled`` when a running camera has not delivered a frame for ``stall_after_s``."""
        self.health.check_stall(now, self.config.stall_after_s)

    def stats(self) -> CameraStats:
        return self.health.stats(self.slot.drops)

    # ------------------------------------------------------------------ camera thread

    def _run(self) -> None:
        message = "stopped"
        try:
            self._loop()
        except Exception as exc:  # a bug must not end the camera silently
            log.exception("camera %s: worker failed", self.camera_id)
            message = f"internal error: {exc!r}"
            self.health.failed(message)
        finally:
            self.slot.clear()
        self.health.stopped(message)

    def _loop(self) -> None:
        cfg = self.config
        failures = 0  # consecutive sessions that delivered no frame
        while not self._stop.is_set():
            delivered = 0
            try:
                delivered, ended = self._session_once()
            except SourceError as exc:
                error = str(exc)
            else:
                if self._stop.is_set():
                    return
                if ended is not None and is_local_file(cfg.source):
                    if ended != END_OF_FILE:
                        self.health.failed(ended)
                    if not cfg.loop:
                        self.health.set_state(CameraState.STOPPED, ended)
                        return
                    continue  # looping is not a failure: reopen at once
                error = f"{cfg.source}: stream ended"
            if self._stop.is_set():
                return
            failures = 0 if delivered else failures + 1
            self.health.failed(error)
            self.health.set_state(CameraState.RECONNECTING, error)
            delay = backoff_delay(
                max(failures, 1), cfg.reconnect_min_s, cfg.reconnect_max_s, cfg.reconnect_jitter, self._rng
            )
            if failures & (failures - 1) == 0:  # 0, 1, 2, 4, 8...: a dead camera is logged, not every retry
                log.warning(
                    "camera %s: %s; %d failed attempt(s) in a row, next in %.1f s",
                    self.camera_id,
                    _without_credentials(error, cfg.source),
                    max(failures, 1),
                    delay,
                )
            if self._stop.wait(delay):
                return
            self.health.reconnect_attempted()

    def _session_once(self) -> tuple[int, str | None]:
        """Open, decode until the source ends or ``stop``.

        Returns the frames delivered and why the source ended by itself (None when stopped).
        """
        cfg = self.config
        live = not is_local_file(cfg.source)
        reader = VideoReader(
            cfg.source,
            open_timeout_s=cfg.open_timeout_s,
            read_timeout_s=cfg.read_timeout_s,
            rtsp_transport=cfg.rtsp_transport,
            analyze_s=LIVE_ANALYZE_S if live else None,
        )
        pace = cfg.realtime and not live
        delivered = 0
        with reader:
            self._session += 1
            self.health.new_session()
            start_mono = time.monotonic()
            start_wall = dt.datetime.now(dt.UTC)
            # Camera clock = monotonic time since start() at the session's first frame + media time:
            # smooth within a session (media timestamps), and it runs on through an outage.
            base = start_mono - self._t0
            for frame in reader.frames():
                if pace:
                    # Deliver a file as the camera would have: at its timestamps, not as fast as it decodes.
                    delay = start_mono + frame.t_s - time.monotonic()
                    if delay > 0 and self._stop.wait(delay):
                        return delivered, None
                if self._stop.is_set():
                    return delivered, None
                if frame.clock_jump_s:
                    self._clock_jumped(frame.clock_jump_s)
                self._deliver(frame.picture, base + frame.t_s, start_wall + dt.timedelta(seconds=frame.t_s))
                delivered += 1
        expected = reader.info.frame_count
        # FFmpeg ends a cut-off file without an error; the header's frame count tells it was cut.
        if not live and expected and delivered < expected - max(2, expected // 50):
            return delivered, f"{cfg.source}: ended after {delivered} of {expected} frames (truncated or corrupt file)"
        return delivered, END_OF_FILE

    def _deliver(self, picture: Picture, t_s: float, wall: dt.datetime) -> None:
        captured = time.monotonic()
        t_s = max(t_s, self._last_t + 1e-3)  # media time may repeat or step back across sessions
        self._last_t = t_s
        index = self.health.frame_arrived(captured)
        self.slot.put(CapturedFrame(self.camera_id, picture, t_s, wall, index, self._session, captured), captured)

    def _clock_jumped(self, jump_s: float) -> None:
        CAMERA_CLOCK_JUMPS.labels(self.camera_id).inc()
        log.warning("camera %s: media timestamps jumped by %+.2f s; frame time re-anchored", self.camera_id, jump_s)
