"""Weapon accuracy on the held-out test images, next to a COCO baseline class of another model."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import cv2
import numpy as np

from gatewatch.evaluate.weapons.metrics import SIZE_BUCKETS, ClassTally
from gatewatch.evaluate.weapons.weapon_data import LabelledImage
from gatewatch.vision.detections import Detections
from gatewatch.vision.detector import Detector

Progress = Callable[[str], None]


def detect_images(detector: Detector, images: Sequence[LabelledImage], progress: Progress) -> list[Detections]:
    found = []
    for index, item in enumerate(images, 1):
        frame = cv2.imread(str(item.path), cv2.IMREAD_COLOR)
        if frame is None:
            raise FileNotFoundError(f"{item.path}: not a readable image")
        found.append(detector.detect(frame))
        if index % 50 == 0 or index == len(images):
            progress(f"{detector.name}: {index}/{len(images)} test images")
    return found


def tally(images: Sequence[LabelledImage], found: Sequence[Detections], class_ids: Sequence[int]) -> ClassTally:
    result = ClassTally()
    for item, detections in zip(images, found):
        chosen = np.isin(detections.class_id, list(class_ids))
        result.add(detections.xyxy[chosen], detections.confidence[chosen], item.weapons)
    return result


def accuracy(result: ClassTally, threshold: float) -> dict[str, object]:
    return {
        "ap50": _clean(result.average_precision()),
        "threshold": threshold,
        "overall": _cleaned(result.at_threshold(threshold)),
        "by_size": {name: _cleaned(result.at_threshold(threshold, i)) for i, name in enumerate(SIZE_BUCKETS)},
    }


def false_alarms(
    images: Sequence[LabelledImage], found: Sequence[Detections], class_ids: Sequence[int], threshold: float
) -> dict[str, float | int]:
    """On test frames with people and no weapon: weapon detections per 1,000 frames, and frames with one."""
    chosen = [
        int((np.isin(d.class_id, list(class_ids)) & (d.confidence >= threshold)).sum())
        for item, d in zip(images, found)
        if item.people > 0 and len(item.weapons) == 0
    ]
    frames = len(chosen)
    return {
        "frames": frames,
        "false_detections": sum(chosen),
        "frames_with_false_detection": sum(1 for c in chosen if c),
        "false_detections_per_1000_frames": round(1000 * sum(chosen) / frames, 1) if frames else float("nan"),
    }


def best_f1_threshold(result: ClassTally, candidates: Sequence[float]) -> dict[str, float]:
    """The threshold with the best F1 among ``candidates`` (used on the validation split, never on test)."""
    best: dict[str, float] = {"threshold": candidates[0], "f1": -1.0, "precision": 0.0, "recall": 0.0}
    for threshold in candidates:
        point = result.at_threshold(threshold)
        p, r = float(point["precision"]), float(point["recall"])
        p, r = (0.0 if math.isnan(p) else p), (0.0 if math.isnan(r) else r)
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        if f1 > best["f1"]:
            best = {"threshold": threshold, "f1": round(f1, 4), "precision": round(p, 4), "recall": round(r, 4)}
    return best


def _clean(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 4)


def _cleaned(values: dict[str, float | int]) -> dict[str, float | int | None]:
    return {k: _clean(v) if isinstance(v, float) else v for k, v in values.items()}
