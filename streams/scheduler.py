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

Live reconfiguration: only this thread touches lanes and analyzers. Other threads ``call`` a
function, which runs here at the start of the next round (or inline while the loop is not
running), so a zone change applies from the next frame without a lock around the analytics.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import TypeVar

import numpy as np

from gatewatch.streams import pipeline_metrics
from gatewatch.streams.camera_types import CapturedFrame
from gatewatch.streams.commands import CommandQueue
from gatewatch.streams.lanes import Lane, LaneStats, lane_stats
from gatewatch.vision.analyzer import CameraAnalyzer, FrameAnalysis
from gatewatch.vision.detections import Detections
from gatewatch.vision.detector import Detector
from gatewatch.vision.motion import MotionGate
from gatewatch.vision.tiling import TileGrid, detect_tiled
from gatewatch.vision.types import EventRecord, FrameMeta

log = logging.getLogger(__name__)

# Seconds the loop sleeps when no camera has a frame; a put wakes it earlier.
IDLE_WAIT_S = 0.1

T = TypeVar("T")
# frame, analysis, was it detected; called BEFORE that frame's events go to the EventSink, so a
# frame hub fed from here already holds the frame when the event sink asks it for a snapshot.
AnalysisSink = Callable[[CapturedFrame, FrameAnalysis, bool], None]
EventSink = Callable[[EventRecord], None]


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
        self._lock = threading.Lock()  # guards the counters and the lane list read by stats()
        self._first = 0  # rotates which camera goes first in a round
        self._commands = CommandQueue(wakeup)

    # ------------------------------------------------------------------ commands from other threads

    def claim(self) -> None:
        """Called before the scheduler thread starts: from now on commands queue for that thread, so no
        command can run inline on a caller's thread while the first round begins."""
        self._commands.claim()

    def call(self, fn: Callable[[], T]) -> Future[T]:
        """Run ``fn`` on the scheduler thread before the next round; inline while the loop is not running."""
        return self._commands.call(fn)

    def add_lane(self, lane: Lane) -> None:
        """Scheduler thread only (use ``call``)."""
        if any(other.camera_id == lane.camera_id for other in self.lanes):
            raise ValueError(f"camera {lane.camera_id!r} already has a lane")
        with self._lock:
            self.lanes = [*self.lanes, lane]

    def remove_lane(self, camera_id: str, reason: str) -> Lane:
        """Scheduler thread only: end the camera's open events with ``reason`` and forget the lane."""
        lane = self.lane(camera_id)
        if lane.last_meta is not None:
            self._emit_all(lane, lane.analyzer.close(lane.last_meta, reason))
        with self._lock:
            self.lanes = [other for other in self.lanes if other is not lane]
        return lane

    def replace_analyzer(self, camera_id: str, analyzer: CameraAnalyzer) -> None:
        """Scheduler thread only: ``analyzer`` adopts the running one's tracker and unchanged zones."""
        lane = self.lane(camera_id)
        ended = analyzer.adopt(lane.analyzer, lane.last_meta, "config_change")
        lane.analyzer = analyzer
        self._emit_all(lane, ended)

    def replace_motion_gate(self, camera_id: str, gate: MotionGate | None) -> None:
        """Scheduler thread only: the camera's motion gate from its next due frame (None: every due frame)."""
        self.lane(camera_id).motion = gate

    def lane(self, camera_id: str) -> Lane:
        for lane in self.lanes:
            if lane.camera_id == camera_id:
                return lane
        raise KeyError(camera_id)

    # ------------------------------------------------------------------ the loop

    def run(self, stop: threading.Event) -> None:
        """Rounds until ``stop``; then ends every open event with reason ``shutdown``."""
        self._commands.claim()
        while not stop.is_set():
            self._wakeup.wait(IDLE_WAIT_S)
            self._wakeup.clear()  # before taking: a put from now on wakes the next wait
            self._commands.run_pending()
            try:
                self.round()
            except Exception:  # an analytics bug must not end analytics for every camera for good
                log.exception("scheduler round failed")
        self._commands.run_pending()
        for lane in self.lanes:
            if lane.last_meta is not None:
                self._emit_all(lane, lane.analyzer.close(lane.last_meta, "shutdown"))
        self._commands.release()
        self._commands.run_pending()  # anything queued meanwhile runs now instead of waiting forever

    def round(self) -> None:
        """One frame at most from every camera: detect the due ones in one batch, coast the rest."""
        now = time.monotonic()
        lanes = self.lanes
        self._first = self._first % max(len(lanes), 1)
        order = lanes[self._first :] + lanes[: self._first]
        self._first += 1
        taken: list[tuple[Lane, CapturedFrame, FrameMeta]] = []
        for lane in order:
            frame = lane.slot.take(now)
            if frame is not None:
                lane.m_stage["queue"].observe(now - frame.captured_mono)
                taken.append((lane, frame, self._meta(lane, frame)))
        is_due = [lane.schedule.due(frame.t_s) and self._moved(lane, frame) for lane, frame, _ in taken]
        detected = [(lane, frame, meta) for (lane, frame, meta), due in zip(taken, is_due) if due]
        results = self._detect(
            [frame.image for _, frame, _ in detected],
            [lane.analyzer.detection_grid(meta.width, meta.height) for lane, _, meta in detected],
        )
        detections = iter(results or [])
        for (lane, frame, meta), due in zip(taken, is_due):
            if due and results is None:
                with self._lock:
                    lane.dropped["detector_error"] += 1
                lane.m_detector_error.inc()
                continue
            self._analyse(lane, frame, meta, next(detections) if due else None)

    def _moved(self, lane: Lane, frame: CapturedFrame) -> bool:
        """The motion gate's verdict on a due frame; one held back is coasted and counted."""
        if lane.motion is None:
            return True
        zones = [zone.polygon for zone in lane.analyzer.zones]  # read each time: zones change live
        busy = lane.analyzer.tracking()
        if lane.motion.should_detect(frame.image, frame.t_s, frame.session, zones, lane.analyzer.masks, busy):
            return True
        with self._lock:
            lane.skipped_no_motion += 1
        return False

    def _analyse(self, lane: Lane, frame: CapturedFrame, meta: FrameMeta, detections: Detections | None) -> None:
        started = time.monotonic()
        due = detections is not None
        analysis = lane.analyzer.update(detections, meta) if detections is not None else lane.analyzer.coast(meta)
        done = time.monotonic()
        with self._lock:
            if due:
                lane.detected += 1
            else:
                lane.coasted += 1
            lane.latency_ms.append((done - frame.captured_mono) * 1000.0)
        lane.m_processed["detected" if due else "coasted"].inc()
        lane.m_stage["analysis"].observe(done - started)
        lane.m_stage["end_to_end"].observe(done - frame.captured_mono)
        if self._on_analysis is not None:  # first: the event sink may want this frame for a snapshot
            try:
                self._on_analysis(frame, analysis, due)
            except Exception:
                log.exception("analysis sink failed on camera %s", lane.camera_id)
        self._emit_all(lane, analysis.events)

    def stats(self) -> dict[str, LaneStats]:
        with self._lock:
            return {lane.camera_id: lane_stats(lane) for lane in self.lanes}

    def _meta(self, lane: Lane, frame: CapturedFrame) -> FrameMeta:
        meta = FrameMeta(frame.t_s, frame.wall, frame.width, frame.height, frame.index)  # no BGR conversion
        if frame.session != lane.session:
            # A reconnect or a file loop starts a new timeline: tracks from before the gap mean nothing.
            if lane.last_meta is not None:
                self._emit_all(lane, lane.analyzer.close(lane.last_meta, "source_restart"))
                lane.analyzer.reset()
            lane.session = frame.session
        lane.last_meta = meta
        return meta

    def _detect(self, images: list[np.ndarray], grids: list[TileGrid | None]) -> list[Detections] | None:
        if not images:
            return []
        started = time.monotonic()
        try:
            results = detect_tiled(self.detector, images, grids)  # every camera's tiles in one batch
        except Exception:  # one bad batch must not stop analytics on every camera
            log.exception("detector failed on a batch of %d frame(s)", len(images))
            return None
        pipeline_metrics.DETECT_SECONDS.observe(time.monotonic() - started)
        pipeline_metrics.DETECT_BATCH_SIZE.observe(len(images))
        return results

    def _emit_all(self, lane: Lane, records: list[EventRecord]) -> None:
        for record in records:
            with self._lock:
                lane.events += 1
            try:
                self._on_event(record)
            except Exception:
                log.exception("event sink failed on %s", record.id)
