"""The clip loop: decode every frame, detect on a media-time schedule, track/analyze every frame.

Detection is scheduled by media time, never by frame count, so the same ``detection_fps`` means the
same analytics on a 10 fps and a 30 fps clip (and on a live camera that drops frames).
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass

from gatewatch.streams.decode import VideoFrame, VideoReader
from gatewatch.vision.analyzer import CameraAnalyzer, FrameAnalysis
from gatewatch.vision.detector import Detector
from gatewatch.vision.types import EventRecord, FrameMeta

# Container timestamps are rounded (1 ms in Matroska, 1/90000 s in MPEG-TS): a frame this close
# before its due time counts as on time, or a 10 fps schedule on a 10 fps clip would skip frames.
DUE_TOLERANCE_S = 1e-3


class DetectionSchedule:
    """Decides which frames go to the detector: the first frame at or after each 1/fps tick of media time.

    Ticks sit on a fixed grid (k / fps), so rounding never drifts the rate; when frames arrive late
    (a gap in the stream) the missed ticks are skipped instead of being caught up in a burst.
    """

    def __init__(self, detection_fps: float) -> None:
        if not detection_fps > 0:
            raise ValueError(f"detection_fps must be > 0, got {detection_fps}")
        self.period_s = 1.0 / detection_fps
        self._next_tick = 0

    def due(self, t_s: float) -> bool:
        t = t_s + DUE_TOLERANCE_S
        if t < self._next_tick * self.period_s:
            return False
        self._next_tick = math.floor(t / self.period_s) + 1
        return True


@dataclass(frozen=True, slots=True)
class ReplayStep:
    """One decoded frame and what the analytics made of it.

    stage_ms has ``decode`` and ``analyze`` for every frame and ``detect`` only for detected frames,
    so per-stage statistics describe the work actually done.
    ``closed`` holds the end records of ``analyzer.close()``; it is non-empty only on the last step.
    """

    frame: VideoFrame
    analysis: FrameAnalysis
    detected: bool
    stage_ms: dict[str, float]
    closed: tuple[EventRecord, ...] = ()

    @property
    def events(self) -> list[EventRecord]:
        """Every record emitted at this step, in order: the frame's events, then the closing ones."""
        return [*self.analysis.events, *self.closed]


def _timed_frames(reader: VideoReader) -> Iterator[tuple[VideoFrame, float]]:
    frames = reader.frames()
    while True:
        start = time.perf_counter()
        frame = next(frames, None)
        if frame is None:
            return
        yield frame, (time.perf_counter() - start) * 1000.0


def replay(
    reader: VideoReader,
    detector: Detector,
    analyzer: CameraAnalyzer,
    detection_fps: float,
    start_wall: dt.datetime,
) -> Iterator[ReplayStep]:
    """Steps for every frame of ``reader``; the last step also carries ``analyzer.close()`` records.

    Raises ``SourceError`` (from the reader) when the clip cannot be decoded.
    """
    schedule = DetectionSchedule(detection_fps)
    frames = _timed_frames(reader)
    pending = next(frames, None)
    while pending is not None:
        frame, decode_ms = pending
        height, width = frame.picture.height, frame.picture.width  # converted to BGR only if looked at
        meta = FrameMeta(frame.t_s, start_wall + dt.timedelta(seconds=frame.t_s), width, height, frame.index)
        stage_ms = {"decode": decode_ms}
        detected = schedule.due(frame.t_s)
        start = time.perf_counter()
        if detected:
            detections = detector.detect(frame.image)
            stage_ms["detect"] = (time.perf_counter() - start) * 1000.0
            start = time.perf_counter()
            analysis = analyzer.update(detections, meta)
        else:
            analysis = analyzer.coast(meta)
        # Look one frame ahead: only then is it known whether this step is the last one.
        stage_ms["analyze"] = (time.perf_counter() - start) * 1000.0
        pending = next(frames, None)
        closed = tuple(analyzer.close(meta)) if pending is None else ()
        yield ReplayStep(frame, analysis, detected, stage_ms, closed)
