"""The clip loop: decode every frame, detect on a media-time schedule, track/analyze every frame.

Detection is scheduled by media time, never by frame count, so the same ``detection_fps`` means the
same analytics on a 10 fps and a 30 fps clip (and on a live camera that drops frames).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from dataclasses import dataclass

from gatewatch.streams.decode import VideoFrame, VideoReader
from gatewatch.streams.detection_schedule import DetectionSchedule
from gatewatch.vision.analyzer import CameraAnalyzer, FrameAnalysis
from gatewatch.vision.detector import Detector
from gatewatch.vision.tiling import detect_tiled
from gatewatch.vision.types import EventRecord, FrameMeta


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
            (detections,) = detect_tiled(detector, [frame.image], [analyzer.detection_grid(width, height)])
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
