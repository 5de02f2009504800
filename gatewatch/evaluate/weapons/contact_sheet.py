"""A contact sheet of the weapon model's failures: missed weapons and false alarms on test images."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from gatewatch.evaluate.weapons.metrics import IOU_MATCH, iou_matrix
from gatewatch.evaluate.weapons.weapon_data import LabelledImage
from gatewatch.vision.detections import Detections

TILE = 208
GREEN, RED, YELLOW = (0, 200, 0), (0, 0, 255), (0, 220, 255)


def failures(
    images: Sequence[LabelledImage], found: Sequence[Detections], weapon_id: int, threshold: float
) -> tuple[list[int], list[int]]:
    """Indices of images with a missed weapon box, and of images with a false weapon detection."""
    missed, false_alarm = [], []
    for index, (item, detections) in enumerate(zip(images, found)):
        keep = (detections.class_id == weapon_id) & (detections.confidence >= threshold)
        pred = detections.xyxy[keep]
        ious = (
            iou_matrix(pred, item.weapons)
            if len(pred) and len(item.weapons)
            else np.zeros((len(pred), len(item.weapons)))
        )
        if len(item.weapons) and (ious.max(0, initial=0) < IOU_MATCH).any():
            missed.append(index)
        if len(pred) and (ious.max(1, initial=0) < IOU_MATCH).any():
            false_alarm.append(index)
    return missed, false_alarm


def _tile(item: LabelledImage, detections: Detections, weapon_id: int, threshold: float, title: str) -> np.ndarray:
    image = cv2.imread(str(item.path), cv2.IMREAD_COLOR)
    if image is None:
        raise FileNotFoundError(f"{item.path}: not a readable image")
    for box in item.weapons.astype(int):
        cv2.rectangle(image, tuple(box[:2]), tuple(box[2:]), GREEN, 2)
    keep = (detections.class_id == weapon_id) & (detections.confidence >= threshold)
    for box, score in zip(detections.xyxy[keep].astype(int), detections.confidence[keep]):
        cv2.rectangle(image, tuple(box[:2]), tuple(box[2:]), RED, 2)
        cv2.putText(image, f"{score:.2f}", (box[0], max(12, box[1] - 3)), cv2.FONT_HERSHEY_SIMPLEX, 0.5, RED, 1)
    tile = cv2.resize(image, (TILE, TILE))
    cv2.putText(tile, title[:30], (3, TILE - 6), cv2.FONT_HERSHEY_SIMPLEX, 0.38, YELLOW, 1)
    return tile


def write_sheet(
    path: Path,
    images: Sequence[LabelledImage],
    found: Sequence[Detections],
    weapon_id: int,
    threshold: float,
    per_row: int = 8,
    limit: int = 24,
) -> dict[str, int]:
    """Rows of missed weapons (green = label) then false alarms (red = detection with score)."""
    missed, false_alarm = failures(images, found, weapon_id, threshold)
    tiles = [_tile(images[i], found[i], weapon_id, threshold, "MISS " + images[i].path.name) for i in missed[:limit]]
    tiles += [
        _tile(images[i], found[i], weapon_id, threshold, "FALSE " + images[i].path.name) for i in false_alarm[:limit]
    ]
    if tiles:
        blank = np.zeros((TILE, TILE, 3), np.uint8)
        tiles += [blank] * (-len(tiles) % per_row)
        rows = [np.hstack(tiles[i : i + per_row]) for i in range(0, len(tiles), per_row)]
        path.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(path), np.vstack(rows), [cv2.IMWRITE_JPEG_QUALITY, 85])
    return {"images_with_miss": len(missed), "images_with_false_alarm": len(false_alarm), "tiles": len(tiles)}
