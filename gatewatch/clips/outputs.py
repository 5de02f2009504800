"""A clip run's outputs: per-stage timings, the annotated video, event lines and snapshots, publishing."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import IO, Any

import av
import av.codec
import cv2
import numpy as np

from gatewatch.snapshots import JPEG_QUALITY, snapshot_name
from gatewatch.streams.decode import StreamInfo
from gatewatch.streams.replay import ReplayStep
from gatewatch.vision.types import EventRecord

STAGES = ("decode", "detect", "analyze", "annotate", "encode")
OUTPUTS = ("annotated.mp4", "snapshots", "events.jsonl", "summary.json")  # publish order: summary last
X264_OPTIONS = {"preset": "veryfast", "crf": "23"}  # ~3x cheaper than "medium", still sharp for review


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


def publish(temp: Path, out_dir: Path) -> None:
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
