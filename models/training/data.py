"""Training images and boxes: read, augment (flip, scale, shift, grey), letterbox to the model input.

Images go to the model as YOLOX expects them: BGR, 0-255 floats, the picture at the top-left of a 114 grey
canvas. Boxes are weapon boxes only, in input pixels (x1, y1, x2, y2): people and every COCO class are
learnt from the frozen teacher's outputs instead, so the dataset's `person` labels are not needed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

WEAPON_LABEL = 1  # class id of `weapon` in the dataset's YOLO labels (0 is person)
PAD = 114


@dataclass(frozen=True, slots=True)
class Item:
    image: Path
    label: Path | None


def read_weapon_boxes(label: Path | None, width: int, height: int) -> np.ndarray:
    """Weapon boxes of a YOLO label file as float32 (N, 4) x1 y1 x2 y2 in image pixels."""
    if label is None:
        return np.zeros((0, 4), np.float32)
    rows = [line.split() for line in label.read_text().splitlines() if line.strip()]
    boxes = [[float(v) for v in row[1:5]] for row in rows if len(row) >= 5 and int(row[0]) == WEAPON_LABEL]
    if not boxes:
        return np.zeros((0, 4), np.float32)
    cxcywh = np.array(boxes, np.float32) * np.array([width, height, width, height], np.float32)
    half = cxcywh[:, 2:] / 2
    return np.concatenate([cxcywh[:, :2] - half, cxcywh[:, :2] + half], 1)


def load_items(splits_json: Path, split: str, with_negatives: bool, negatives_repeat: int = 1) -> list[Item]:
    """The split's images, then (``with_negatives``) the colour no-weapon clip frames ``negatives_repeat`` times.

    Repeating the negatives is how the fine-tune sees the target domain (colour gate-like scenes) often
    enough for the distillation to hold people's scores there, not only on the grey CCTV training frames.
    """
    data = json.loads(splits_json.read_text())
    items = [Item(Path(s["image"]), Path(s["label"]) if s["label"] else None) for s in data["splits"][split]]
    if with_negatives:
        items += [Item(Path(p), None) for p in data["negatives"]] * negatives_repeat
    return items


def letterbox(image: np.ndarray, size: int, scale: float, shift: tuple[int, int]) -> tuple[np.ndarray, float]:
    """Resize so the long side fits ``size * scale``, paste at ``shift`` on a grey canvas; return the ratio."""
    height, width = image.shape[:2]
    ratio = min(size / width, size / height) * scale
    new_w, new_h = max(1, round(width * ratio)), max(1, round(height * ratio))
    resized = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    canvas = np.full((size, size, 3), PAD, np.uint8)
    dx, dy = shift
    src_x0, src_y0 = max(0, -dx), max(0, -dy)
    dst_x0, dst_y0 = max(0, dx), max(0, dy)
    w = min(new_w - src_x0, size - dst_x0)
    h = min(new_h - src_y0, size - dst_y0)
    if w > 0 and h > 0:
        canvas[dst_y0 : dst_y0 + h, dst_x0 : dst_x0 + w] = resized[src_y0 : src_y0 + h, src_x0 : src_x0 + w]
    return canvas, ratio


def augment(item: Item, size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One augmented (3, size, size) float32 BGR input and its weapon boxes (N, 4) in input pixels."""
    image = cv2.imread(str(item.image), cv2.IMREAD_COLOR)
    if image is None:
        raise FileNotFoundError(f"{item.image}: not a readable image")
    height, width = image.shape[:2]
    boxes = read_weapon_boxes(item.label, width, height)
    if rng.random() < 0.5:
        image = image[:, ::-1]
        boxes = np.stack([width - boxes[:, 2], boxes[:, 1], width - boxes[:, 0], boxes[:, 3]], 1)
    if rng.random() < 0.2:  # the dataset is mostly grey, gates are colour: show both for colour frames too
        image = cv2.cvtColor(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    scale = float(rng.uniform(0.6, 1.3)) if rng.random() < 0.6 else 1.0
    ratio = min(size / width, size / height) * scale
    slack_x, slack_y = size - round(width * ratio), size - round(height * ratio)
    shift = (_offset(slack_x, rng), _offset(slack_y, rng))
    canvas, ratio = letterbox(np.ascontiguousarray(image), size, scale, shift)
    boxes = boxes * ratio + np.array([shift[0], shift[1]] * 2, np.float32)
    boxes = _clip_boxes(boxes, size)
    gain = rng.uniform(0.75, 1.25)  # brightness: CCTV exposure varies
    tensor = np.clip(canvas.astype(np.float32) * gain, 0, 255).transpose(2, 0, 1)
    return np.ascontiguousarray(tensor), boxes


def _offset(slack: int, rng: np.random.Generator) -> int:
    """Shift inside the canvas when the image is smaller, or a crop offset when it is larger."""
    if slack >= 0:
        return int(rng.integers(0, slack + 1)) if rng.random() < 0.5 else 0
    return -int(rng.integers(0, -slack + 1))


def _clip_boxes(boxes: np.ndarray, size: int, min_side: float = 2.0, min_kept: float = 0.4) -> np.ndarray:
    """Clip to the canvas; drop boxes mostly cut off or too thin to learn from."""
    if not len(boxes):
        return boxes.astype(np.float32)
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    clipped = np.clip(boxes, 0, size)
    kept_area = (clipped[:, 2] - clipped[:, 0]) * (clipped[:, 3] - clipped[:, 1])
    wide = (clipped[:, 2] - clipped[:, 0] >= min_side) & (clipped[:, 3] - clipped[:, 1] >= min_side)
    keep = wide & (kept_area >= min_kept * np.maximum(area, 1e-6))
    return clipped[keep].astype(np.float32)
