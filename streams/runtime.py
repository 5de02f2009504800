"""The live multi-camera runtime: one thread per camera, one watchdog, one scheduler with the detector.

Callbacks: ``on_state`` runs on camera and watchdog threads, ``on_event`` on the scheduler thread;
both must be quick and thread-safe (e.g. write a line, put on a queue).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from streams.buffer import FrameSlot
from streams.camera import (
    CameraState,
    CameraWorker,
    CapturedFrame,
    StateChange,
    Watchdog,
)
from streams.config import CameraConfig
from streams.replay import DetectionSchedule
from streams.scheduler import AnalysisSink, EventSink, Lane, Scheduler
from vision.analyzer import CameraAnalyzer
from vision.config import DetectorConfig, ScheduleConfig, TrackerConfig
from vision.detector import Detector


class LiveConfig(Protocol):
    """What the runtime reads of the config file (api.config.GatewatchConfig has it)."""

    detector: DetectorConfig
    tracker: TrackerConfig
    schedules: dict[str, ScheduleConfig]
    cameras: list[CameraConfig]


@dataclass(frozen=True, slots=True)
class CameraStatus:
    camera: str
    state: CameraState
    frames_in: int
    fps: float
    last_frame_age_s: float | None
    reconnect_attempts: int
    reconnects: int
    last_error: str | None
    detected: int
    coasted: int
    events: int
    dropped: dict[str, int]  # by reason: superseded / stale (slot), detector_error (scheduler)
    latency_ms_p50: float | None
    latency_ms_max: float | None


class Runtime:
    def __init__(
        self,
        config: LiveConfig,
        detector: Detector,
        on_event: EventSink,
        on_state: Callable[[StateChange], None],
        on_analysis: AnalysisSink | None = None,
    ) -> None:
        cameras = [c for c in config.cameras if c.enabled]
        if not cameras:
            raise ValueError("no enabled camera in the config")
        wakeup = threading.Event()
        self.workers: list[CameraWorker] = []
        lanes: list[Lane] = []
        for camera in cameras:
            slot: FrameSlot[CapturedFrame] = FrameSlot(
                camera.buffer_frames, "drop_oldest", camera.max_frame_age_s, on_put=wakeup.set
            )
            # Built before any thread starts: a class name the model lacks fails here, not mid-stream.
            analyzer = CameraAnalyzer(
                camera.id, camera.zones, camera.masks, detector.class_names, config.tracker, config.schedules
            )
            lanes.append(Lane(camera.id, slot, analyzer, DetectionSchedule(config.detector.detection_fps)))
            self.workers.append(CameraWorker(camera, slot, on_state))
        self.scheduler = Scheduler(detector, lanes, wakeup, on_event, on_analysis)
        self._watchdog = Watchdog(self.workers)
        self._stop = threading.Event()
        self._scheduler_thread = threading.Thread(
            target=self.scheduler.run, args=(self._stop,), name="scheduler", daemon=True
        )
        self._started = False

    def start(self) -> None:
        if self._started:
            raise RuntimeError("Runtime.start() called twice")
        self._started = True
        self._scheduler_thread.start()
        for worker in self.workers:
            worker.start()
        self._watchdog.start()

    def stop(self) -> bool:
        """Stop everything and join every thread; False if one is still inside FFmpeg after its timeouts."""
        for worker in self.workers:
            worker.stop()
        joined = self._watchdog.stop()
        self._stop.set()
        self._scheduler_thread.join(30.0)  # ends open events on its own thread
        joined &= not self._scheduler_thread.is_alive()
        deadline = time.monotonic() + max(w.max_block_s for w in self.workers) + 1.0
        for worker in self.workers:
            joined &= worker.join(max(0.0, deadline - time.monotonic()))
        return joined

    def status(self) -> dict[str, CameraStatus]:
        lanes = self.scheduler.stats()
        out = {}
        for worker in self.workers:
            cam, lane = worker.stats(), lanes[worker.camera_id]
            out[worker.camera_id] = CameraStatus(
                camera=worker.camera_id,
                state=cam.state,
                frames_in=cam.frames_in,
                fps=round(cam.fps, 2),
                last_frame_age_s=cam.last_frame_age_s,
                reconnect_attempts=cam.reconnect_attempts,
                reconnects=cam.reconnects,
                last_error=cam.last_error,
                detected=lane.detected,
                coasted=lane.coasted,
                events=lane.events,
                dropped={**cam.dropped, **lane.dropped},
                latency_ms_p50=lane.latency_ms_p50,
                latency_ms_max=lane.latency_ms_max,
            )
        return out

    def __enter__(self) -> Runtime:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
