"""One detector shared by all cameras: each camera at its own detection rate, in round-robin rounds.

A round takes at most one frame from every camera's slot (the newest one: slots drop older frames),
sends the frames that are due by ``DetectionSchedule`` (media-time ticks, as the clip path) to the
detector in one ``detect_batch`` call, and coasts the others through their analyzer. One frame per
camera per round is the fairness: a busy camera cannot starve a quiet one, and when the detector
cannot keep up every camera's slot drops (counts) its superseded frames instead of queueing them.

Threads, not processes. PyAV decodes and ONNX Runtime infers with the GIL released, so camera
threads and this scheduler thread run in parallel. Measured on the 2-core dev machine, shared with
other work (load average 4-6, so the spread is wide): 2 cameras, each decoding the first 300 frames
of vtest.avi (480x360 H.264, unpaced, 1 decoder thread) and running yolox_nano (1 ORT thread) on
every 2nd frame, total frames/s (median of 4 runs, min-max):

    one thread, cameras in turn       59  (56-61, 2 runs)
    two threads, one shared detector  102 (54-111)
    two processes, a detector each    93  (84-99; models loaded before the clock starts)

Processes bring no gain, and would pickle every 518 KB frame across a pipe (the scheduler needs all
cameras' frames in one place to batch them) and hold one model per camera.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from streams.buffer import FrameSlot
from streams.camera import CapturedFrame
from streams.replay import DetectionSchedule
from vision.analyzer import CameraAnalyzer, FrameAnalysis
from vision.detections import Detections
from vision.detector import Detector
from vision.types import EventRecord, FrameMeta

log = logging.getLogger(__name__)

# Seconds the loop sleeps when no camera has a frame; a put wakes it earlier.
IDLE_WAIT_S = 0.1
LATENCY_WINDOW = 256

AnalysisSink = Callable[[CapturedFrame, FrameAnalysis, bool], None]  # frame, analysis, was it detected
EventSink = Callable[[EventRecord], None]


@dataclass
class Lane:
    """One camera as the scheduler sees it. Only the scheduler thread touches the analyzer."""

    camera_id: str
    slot: FrameSlot[CapturedFrame]
    analyzer: CameraAnalyzer
    schedule: DetectionSchedule
    session: int = -1
    last_meta: FrameMeta | None = None
    detected: int = 0
    coasted: int = 0  # not due for detection: tracked forward only
    events: int = 0
    dropped: Counter[str] = field(default_factory=Counter)  # lost here, by reason (detector_error)
    latency_ms: deque[float] = field(default_factory=lambda: deque(maxlen=LATENCY_WINDOW))


@dataclass(frozen=True, slots=True)
class LaneStats:
    detected: int
    coasted: int
    events: int
    dropped: dict[str, int]
    latency_ms_p50: float | None  # decode finished -> analysis done, over the last frames
    latency_ms_max: float | None


class Scheduler:
    def __init__(
        self,
        detector: Detector,
        lanes: list[Lane],
        wakeup: threading.Event,
        on_event: EventSink,
        on_analysis: AnalysisSink | None = None,
    ) -> None:
        self.detector = detector
        self.lanes = lanes
        self._wakeup = wakeup  # set by every slot put
        self._on_event = on_event
        self._on_analysis = on_analysis
        self._lock = threading.Lock()  # guards the counters read by stats()
        self._first = 0  # rotates which camera goes first in a round

    def run(self, stop: threading.Event) -> None:
        """Rounds until ``stop``; then ends every open event with reason ``shutdown``."""
        while not stop.is_set():
            self._wakeup.wait(IDLE_WAIT_S)
            self._wakeup.clear()  # before taking: a put from now on wakes the next wait
            try:
                self.round()
            except Exception:  # an analytics bug must not end analytics for every camera for good
                log.exception("scheduler round failed")
        for lane in self.lanes:
            if lane.last_meta is not None:
                self._emit_all(lane, lane.analyzer.close(lane.last_meta, "shutdown"))

    def round(self) -> None:
        """One frame at most from every camera: detect the due ones in one batch, coast the rest."""
        now = time.monotonic()
        order = self.lanes[self._first :] + self.lanes[: self._first]
        self._first = (self._first + 1) % max(len(self.lanes), 1)
        taken: list[tuple[Lane, CapturedFrame, FrameMeta]] = []
        for lane in order:
            frame = lane.slot.take(now)
            if frame is not None:
                taken.append((lane, frame, self._meta(lane, frame)))
        is_due = [lane.schedule.due(frame.t_s) for lane, frame, _ in taken]
        results = self._detect([frame.image for (_, frame, _), due in zip(taken, is_due) if due])
        detections = iter(results or [])
        for (lane, frame, meta), due in zip(taken, is_due):
            if due and results is None:
                with self._lock:
                    lane.dropped["detector_error"] += 1
                continue
            analysis = lane.analyzer.update(next(detections), meta) if due else lane.analyzer.coast(meta)
            with self._lock:
                if due:
                    lane.detected += 1
                else:
                    lane.coasted += 1
                lane.latency_ms.append((time.monotonic() - frame.captured_mono) * 1000.0)
            self._emit_all(lane, analysis.events)
            if self._on_analysis is not None:
                try:
                    self._on_analysis(frame, analysis, due)
                except Exception:
                    log.exception("analysis sink failed on camera %s", lane.camera_id)

    def stats(self) -> dict[str, LaneStats]:
        with self._lock:
            return {lane.camera_id: _lane_stats(lane) for lane in self.lanes}

    def _meta(self, lane: Lane, frame: CapturedFrame) -> FrameMeta:
        height, width = frame.image.shape[:2]
        meta = FrameMeta(frame.t_s, frame.wall, width, height, frame.index)
        if frame.session != lane.session:
            # A reconnect or a file loop starts a new timeline: tracks from before the gap mean nothing.
            if lane.last_meta is not None:
                self._emit_all(lane, lane.analyzer.close(lane.last_meta, "source_restart"))
                lane.analyzer.reset()
            lane.session = frame.session
        lane.last_meta = meta
        return meta

    def _detect(self, images: list[np.ndarray]) -> list[Detections] | None:
        if not images:
            return []
        try:
            return self.detector.detect_batch(images)
        except Exception:  # one bad batch must not stop analytics on every camera
            log.exception("detector failed on a batch of %d frame(s)", len(images))
            return None

    def _emit_all(self, lane: Lane, records: list[EventRecord]) -> None:
        for record in records:
            with self._lock:
                lane.events += 1
            try:
                self._on_event(record)
            except Exception:
                log.exception("event sink failed on %s", record.id)


def _lane_stats(lane: Lane) -> LaneStats:
    latency = sorted(lane.latency_ms)
    return LaneStats(
        detected=lane.detected,
        coasted=lane.coasted,
        events=lane.events,
        dropped=dict(lane.dropped),
        latency_ms_p50=latency[len(latency) // 2] if latency else None,
        latency_ms_max=latency[-1] if latency else None,
    )
