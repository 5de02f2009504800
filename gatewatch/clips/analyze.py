"""Analyze a recorded clip: events.jsonl, annotated.mp4, snapshots/ and summary.json in one folder.

Everything is written into a hidden temporary folder beside ``out_dir`` and moved into place only
when the whole clip has been analyzed, so a crash or a corrupt clip never leaves files that look
like a finished result; ``summary.json`` is moved last and marks a complete run.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, get_args

from tqdm import tqdm

from gatewatch.assets.models import load_detector, load_manifest
from gatewatch.clips.confirmation import unreachable_confirmations
from gatewatch.clips.outputs import OutputWriter, StageStats, publish
from gatewatch.config.schema import GatewatchConfig
from gatewatch.config.settings import Settings
from gatewatch.streams.camera_config import CameraConfig
from gatewatch.streams.decode import SourceError, VideoReader
from gatewatch.streams.replay import ReplayStep, replay
from gatewatch.vision.analyzer import CameraAnalyzer
from gatewatch.vision.annotate import Annotator
from gatewatch.vision.detector import Detector
from gatewatch.vision.errors import InvalidValue
from gatewatch.vision.types import EventType
from gatewatch.writable import ensure_writable_dir

EVENT_TYPES: tuple[str, ...] = get_args(EventType)
MIN_DECODED_FRACTION = 0.9  # below this share of the declared frames the file is cut short, not just imprecise


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
    ensure_writable_dir(out_dir.parent, f"output {out_dir}: its folder")
    temp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".partial", dir=out_dir.parent))
    try:
        summary = _analyze_into(temp, clip, config, camera, start_wall, settings, write_video, progress)
        publish(temp, out_dir)
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
        detector = load_detector(
            config.detector, settings.models_dir, settings.weights_dir, load_manifest(settings.manifest)
        )
        analyzer = CameraAnalyzer(
            camera.id, camera.zones, camera.masks, detector.class_names, config.tracker, config.schedules, camera.tiling
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
        "notes": unreachable_confirmations(camera, totals["frames_detected"]),
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
