"""Analyze a recorded clip: events.jsonl, annotated.mp4, snapshots/ and summary.json in one folder.

Everything is written into a hidden temporary folder beside ``out_dir`` and moved into place only
when the whole clip has been analyzed, so a crash or a corrupt clip never leaves files that look
like a finished result; ``summary.json`` is moved last and marks a complete run.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import IO, Any, get_args

import av
import av.codec
import cv2
import numpy as np
from tqdm import tqdm

from gatewatch.assets.models import load_detector
from gatewatch.config.schema import GatewatchConfig
from gatewatch.config.settings import Settings
from gatewatch.snapshots import JPEG_QUALITY, snapshot_name
from gatewatch.streams.camera_config import CameraConfig
from gatewatch.streams.decode import SourceError, StreamInfo, VideoReader
from gatewatch.streams.replay import ReplayStep, replay
from gatewatch.vision.analyzer import CameraAnalyzer
from gatewatch.vision.annotate import Annotator
from gatewatch.vision.detector import Detector
from gatewatch.vision.errors import InvalidValue
from gatewatch.vision.types import EventRecord, EventType

STAGES = ("decode", "detect", "analyze", "annotate", "encode")
EVENT_TYPES: tuple[str, ...] = get_args(EventType)
OUTPUTS = ("annotated.mp4", "snapshots", "events.jsonl", "summary.json")  # publish order: summary last
MIN_DECODED_FRACTION = 0.9  # below this share of the declared frames the file is cut short, not just imprecise
X264_OPTIONS = {"preset": "veryfast", "crf": "23"}  # ~3x cheaper than "medium", still sharp for review


def select_camera(config: GatewatchConfig, clip: Path, camera_id: str | None) -> CameraConfig:
    """The camera whose zones apply: the named one, the only one, or the one whose source is this file."""
    ids = [camera.id for camera in config.cameras]
    if camera_id is not None:
        for camera in config.cameras:
            if camera.id == camera_id:
                return camera
        raise InvalidValue(f"camera {camera_id!r} is not in the config (cameras: {', '.join(ids)})")
    if len(config.cameras) == 1:
        return config.cameras[0]
    matches = [camera for camera in config.cameras if Path(camera.source).name == clip.name]
    if len(matches) == 1:
        return matches[0]
    raise InvalidValue(
        f"cannot tell which camera {clip.name} belongs to: {len(matches)} cameras have it as source; "
        f"pass camera_id (cameras: {', '.join(ids)})"
    )


class StageStats:
    """Per-stage durations in milliseconds, summarised as mean and 95th percentile."""

    def __init__(self, stages: tuple[str, ...] = STAGES) -> None:
        self._samples: dict[str, list[float]] = {stage: [] for stage in stages}

    def add(self, stage: str, ms: float) -> None:
        self._samples.setdefault(stage, []).append(ms)

    def add_all(self, stage_ms: dict[str, float]) -> None:
        for stage, ms in stage_ms.items():
            self.add(stage, ms)

    def summary(self) -> dict[str, dict[str, float]]:
        out = {}
        for stage, samples in self._samples.items():
            values = np.asarray(samples, np.float64)
            mean = float(values.mean()) if values.size else 0.0
            p95 = float(np.percentile(values, 95)) if values.size else 0.0
            out[stage] = {"mean": round(mean, 3), "p95": round(p95, 3), "n": int(values.size)}
        return out


def pick_video_codec() -> str:
    """libx264 when this FFmpeg build has it (H.264 plays everywhere), else FFmpeg's built-in mpeg4."""
    try:
        av.codec.Codec("libx264", "w")
    except av.codec.codec.UnknownCodecError:
        return "mpeg4"
    return "libx264"


class VideoEncoder:
    """Annotated frames to an MP4 at the clip's frame rate, yuv420p so every player can open it."""

    def __init__(self, path: Path, width: int, height: int, fps: float, codec: str | None = None) -> None:
        self.codec = codec or pick_video_codec()
        # 4:2:0 chroma needs even sizes; dropping one edge pixel row/column beats failing the run.
        self._width, self._height = width - width % 2, height - height % 2
        self._container = av.open(str(path), "w")
        rate = Fraction(fps).limit_denominator(1001)  # 29.97 -> 30000/1001, exact rates stay exact
        stream = self._container.add_stream(self.codec, rate=rate)
        if not isinstance(stream, av.VideoStream):  # a codec name is free text
            raise ValueError(f"codec {self.codec!r} does not encode video")
        self._stream = stream
        self._stream.width, self._stream.height = self._width, self._height
        self._stream.pix_fmt = "yuv420p"
        if self.codec == "libx264":
            self._stream.options = dict(X264_OPTIONS)
        else:  # mpeg4's 200 kb/s default smears people into blocks
            self._stream.bit_rate = int(self._width * self._height * float(rate) * 0.2)

    def write(self, frame_bgr: np.ndarray) -> None:
        frame = av.VideoFrame.from_ndarray(frame_bgr[: self._height, : self._width], format="bgr24")
        self._container.mux(self._stream.encode(frame))

    def close(self) -> None:
        self._container.mux(self._stream.encode(None))  # flush frames held for B-frame lookahead
        self._container.close()


class OutputWriter:
    """Writes one run's files into ``folder``: event lines as they happen, snapshots, video, summary."""

    def __init__(self, folder: Path, info: StreamInfo, fps: float, write_video: bool) -> None:
        self.folder = folder
        self.events_written = 0
        self._snapshots: dict[str, str] = {}  # event id -> relative snapshot path
        self._events: IO[str] = (folder / "events.jsonl").open("w", encoding="utf-8")
        self.video = VideoEncoder(folder / "annotated.mp4", info.width, info.height, fps) if write_video else None

    def needs_frame(self, step: ReplayStep) -> bool:
        """Whether this step needs an annotated frame (video on, or an event starts and wants a snapshot)."""
        return self.video is not None or any(r.lifecycle == "new" for r in step.events)

    def write(self, step: ReplayStep, annotated: np.ndarray | None) -> None:
        if self.video is not None and annotated is not None:
            self.video.write(annotated)
        records = step.events
        for record in records:
            if record.lifecycle == "new" and annotated is not None:
                self._snapshot(record, annotated)
            written = replace(record, snapshot=self._snapshots.get(record.id))
            self._events.write(json.dumps(written.to_json(), ensure_ascii=False) + "\n")
        if records:
            self._events.flush()  # followers (tail -f, the console) see events as they happen
            self.events_written += len(records)

    def _snapshot(self, record: EventRecord, annotated: np.ndarray) -> None:
        relative = snapshot_name(record.id)
        (self.folder / "snapshots").mkdir(exist_ok=True)
        if not cv2.imwrite(str(self.folder / relative), annotated, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY]):
            raise OSError(f"could not write snapshot {self.folder / relative}")
        self._snapshots[record.id] = relative

    def write_summary(self, summary: dict[str, Any]) -> None:
        (self.folder / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")

    def close(self) -> None:
        self._events.close()
        if self.video is not None:
            self.video.close()


def _publish(temp: Path, out_dir: Path) -> None:
    """Replace the previous run's outputs in ``out_dir`` with this run's; summary.json goes last."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in reversed(OUTPUTS):  # stale summary first, so a half-published folder never looks complete
        target = out_dir / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    for name in OUTPUTS:
        if (temp / name).exists():
            os.replace(temp / name, out_dir / name)


def _utc(start_time: dt.datetime) -> dt.datetime:
    if start_time.tzinfo is None:
        raise InvalidValue(f"start_time {start_time.isoformat()} has no UTC offset; pass an aware datetime")
    return start_time.astimezone(dt.UTC)


def _check_complete(clip: Path, decoded: int, declared: int | None) -> None:
    if declared and decoded < MIN_DECODED_FRACTION * declared:
        raise SourceError(
            f"{clip}: truncated or damaged: decoded {decoded} frames but the container declares {declared}"
        )


def analyze_clip(
    clip: Path,
    config: GatewatchConfig,
    out_dir: Path,
    *,
    camera_id: str | None,
    start_time: dt.datetime,
    settings: Settings,
    write_video: bool = True,
    progress: bool | None = None,
) -> dict[str, Any]:
    """Analyze ``clip`` with the config's detector and the selected camera's zones; returns the summary.

    Raises ``SourceError`` for a clip that cannot be decoded or is truncated, ``ValueError`` when the
    camera cannot be chosen; in both cases ``out_dir`` is left as it was.
    """
    camera = select_camera(config, clip, camera_id)
    start_wall = _utc(start_time)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".partial", dir=out_dir.parent))
    try:
        summary = _analyze_into(temp, clip, config, camera, start_wall, settings, write_video, progress)
        _publish(temp, out_dir)
        return summary
    finally:
        shutil.rmtree(temp, ignore_errors=True)


def _analyze_into(
    folder: Path,
    clip: Path,
    config: GatewatchConfig,
    camera: CameraConfig,
    start_wall: dt.datetime,
    settings: Settings,
    write_video: bool,
    progress: bool | None,
) -> dict[str, Any]:
    started = time.perf_counter()
    with VideoReader(str(clip)) as reader:
        info = reader.info
        detector = load_detector(config.detector, settings.models_dir, settings.weights_dir)
        analyzer = CameraAnalyzer(
            camera.id, camera.zones, camera.masks, detector.class_names, config.tracker, config.schedules
        )
        writer = OutputWriter(folder, info, info.fps or 25.0, write_video)
        show = sys.stderr.isatty() if progress is None else progress
        with tqdm(total=info.frame_count, unit="frame", file=sys.stderr, disable=not show, desc=clip.name) as bar:
            try:
                totals = _run_loop(reader, detector, analyzer, config, start_wall, writer, bar)
            finally:
                writer.close()
    _check_complete(clip, totals["frames_decoded"], info.frame_count)
    wall_s = time.perf_counter() - started
    summary = {
        "clip": str(clip),
        "camera": camera.id,
        "model": detector.name,
        "detection_fps": config.detector.detection_fps,
        "start_time": start_wall.isoformat(),
        "width": info.width,
        "height": info.height,
        "fps": info.fps,
        "frames_declared": info.frame_count,
        **totals,
        "wall_s": round(wall_s, 3),
        "realtime_factor": round(totals["clip_s"] / wall_s, 2) if wall_s > 0 else None,
        "video_codec": writer.video.codec if writer.video else None,
    }
    writer.write_summary(summary)
    return summary


def _run_loop(
    reader: VideoReader,
    detector: Detector,
    analyzer: CameraAnalyzer,
    config: GatewatchConfig,
    start_wall: dt.datetime,
    writer: OutputWriter,
    bar: tqdm[Any],
) -> dict[str, Any]:
    """Replay the clip through analytics, annotation and the writer; returns counts and stage timings."""
    annotator = Annotator(detector.class_names)
    stats = StageStats()
    events_by_type: dict[str, set[str]] = {kind: set() for kind in EVENT_TYPES}
    decoded = detected = 0
    last: ReplayStep | None = None
    for step in replay(reader, detector, analyzer, config.detector.detection_fps, start_wall):
        stats.add_all(step.stage_ms)
        annotated = None
        if writer.needs_frame(step):
            began = time.perf_counter()
            annotated = annotator.draw(step.frame.image, step.analysis, analyzer.zone_set.pixel_polygons)
            stats.add("annotate", (time.perf_counter() - began) * 1000.0)
        began = time.perf_counter()
        writer.write(step, annotated)  # "encode": the video frame plus the rare event lines and snapshots
        stats.add("encode", (time.perf_counter() - began) * 1000.0)
        for record in step.events:
            events_by_type.setdefault(record.type, set()).add(record.id)
        decoded += 1
        detected += step.detected
        last = step
        bar.update()
    frame_s = 1.0 / (reader.info.fps or 25.0)
    return {
        "frames_decoded": decoded,
        "frames_detected": detected,
        "clip_s": round(last.frame.t_s + frame_s, 3) if last else 0.0,
        "events_written": writer.events_written,
        "events_by_type": {kind: len(ids) for kind, ids in events_by_type.items()},
        "stages_ms": stats.summary(),
    }
