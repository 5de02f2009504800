"""What the weapon model does on the sample clips: people kept, weapon events where there are none, cost."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import yaml

from gatewatch.clips.analyze import analyze_clip
from gatewatch.config.file import load_config
from gatewatch.config.settings import Settings
from gatewatch.evaluate.weapons.metrics import match
from gatewatch.vision.detector import Detector

NO_WEAPON_CLIPS = (
    "vtest.avi",
    "one-by-one-person-detection.mp4",
    "car-detection.mp4",
    "bottle-detection.mp4",
    "mot17-04-excerpt.mp4",
)
# The training took no-weapon frames from the first half of these clips (models/training/prepare.py).
TRAINED_ON_FIRST_HALF = ("bottle-detection.mp4", "one-by-one-person-detection.mp4", "car-detection.mp4")
Progress = Callable[[str], None]


def clip_frames(clip: Path, every_s: float) -> list[np.ndarray]:
    capture = cv2.VideoCapture(str(clip))
    if not capture.isOpened():
        raise FileNotFoundError(f"{clip}: cannot open video")
    step = max(1, round((capture.get(cv2.CAP_PROP_FPS) or 10.0) * every_s))
    frames, index = [], 0
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        if index % step == 0:
            frames.append(frame)
        index += 1
    capture.release()
    return frames


def person_recall(model: Detector, reference: Detector, frames: Sequence[np.ndarray], at: float) -> dict[str, Any]:
    """Share of the reference's persons (score >= ``at``) the model also finds (IoU >= 0.5, score >= ``at``)."""
    person_m, person_r = model.class_names.index("person"), reference.class_names.index("person")
    total = found = extra = 0
    for frame in frames:
        ref, got = reference.detect(frame), model.detect(frame)
        ref_boxes = ref.xyxy[(ref.class_id == person_r) & (ref.confidence >= at)]
        keep = (got.class_id == person_m) & (got.confidence >= at)
        tp, matched = match(got.xyxy[keep], got.confidence[keep], ref_boxes)
        total, found, extra = total + len(ref_boxes), found + int(matched.sum()), extra + int((~tp).sum())
    return {
        "frames": len(frames),
        "at_confidence": at,
        "reference_persons": total,
        "found": found,
        "recall": round(found / total, 4) if total else None,
        "persons_not_in_reference": extra,
    }


def weapon_events(
    model: str, samples_dir: Path, threshold: float, out_dir: Path, settings: Settings, progress: Progress
) -> list[dict[str, Any]]:
    """Run `gatewatch analyze`'s pipeline on each no-weapon clip with a whole-frame weapon rule."""
    results = []
    for name in NO_WEAPON_CLIPS:
        config_path = out_dir / f"{Path(name).stem}.yaml"
        config_path.parent.mkdir(parents=True, exist_ok=True)
        config_path.write_text(yaml.safe_dump(_whole_frame_config(model, name, threshold)))
        progress(f"analyze {name} with a whole-frame weapon rule")
        folder = out_dir / Path(name).stem
        summary = analyze_clip(
            samples_dir / name,
            load_config(config_path),
            folder,
            camera_id=None,
            start_time=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
            settings=settings,
            write_video=False,
            progress=False,
        )
        starts = _weapon_event_starts(folder / "events.jsonl")
        half = summary["clip_s"] / 2
        results.append(
            {
                "clip": name,
                "clip_s": summary["clip_s"],
                "frames_detected": summary["frames_detected"],
                "weapon_events": len(starts),
                "weapon_events_second_half": sum(1 for s in starts if s >= half),
                "first_half_seen_in_training": name in TRAINED_ON_FIRST_HALF,
            }
        )
    return results


def _whole_frame_config(model: str, clip: str, threshold: float) -> dict[str, Any]:
    rule = {"classes": ["weapon"], "min_confidence": threshold, "confirm_k": 3, "confirm_n": 5, "clear_s": 3}
    return {
        "detector": {"model": model, "confidence": 0.3, "detection_fps": 5},
        "cameras": [
            {
                "id": "eval",
                "source": clip,
                "zones": [{"id": "frame", "polygon": [[0, 0], [1, 0], [1, 1], [0, 1]], "weapon": rule}],
            }
        ],
    }


def _weapon_event_starts(events: Path) -> list[float]:
    records = [json.loads(line) for line in events.read_text().splitlines() if line.strip()]
    return [r["start_s"] for r in records if r["type"] == "weapon" and r["lifecycle"] == "new"]


def detector_cost(detector: Detector, frames: Sequence[np.ndarray], rounds: int = 2) -> dict[str, float]:
    """Wall and CPU milliseconds per frame (process CPU time: all threads), and CPU cores at 5 det/s."""
    for frame in frames[:3]:
        detector.detect(frame)
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(rounds):
        for frame in frames:
            detector.detect(frame)
    count = rounds * len(frames)
    wall_ms = (time.perf_counter() - wall) * 1000 / count
    cpu_ms = (time.process_time() - cpu) * 1000 / count
    return {
        "frames": count,
        "wall_ms_per_frame": round(wall_ms, 2),
        "cpu_ms_per_frame": round(cpu_ms, 2),
        "cpu_cores_at_5_det_s": round(cpu_ms * 5 / 1000, 4),
    }
