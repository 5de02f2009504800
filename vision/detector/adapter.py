"""What an output adapter provides: how to letterbox for its model and how to decode one image's output."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from gatewatch.vision.detector.letterbox import LetterboxSpec

STRIDES = (8, 16, 32)  # P3-P5 heads shared by YOLOX and YOLOv8/YOLO11


@dataclass(frozen=True, slots=True)
class Candidates:
    """Boxes above the confidence threshold, before NMS, in model-input pixels."""

    xyxy: np.ndarray  # float32 (N, 4)
    score: np.ndarray  # float32 (N,)
    class_id: np.ndarray  # int32 (N,)


class Adapter(Protocol):
    class_names: tuple[str, ...]
    letterbox: LetterboxSpec

    def decode(self, output: np.ndarray, confidence: float) -> Candidates:
        """Decode one image's slice of the model output (batch dimension removed)."""
        ...


def anchor_count(input_size: tuple[int, int]) -> int:
    width, height = input_size
    return sum((width // s) * (height // s) for s in STRIDES)


def xywh_to_xyxy(centre: np.ndarray, size: np.ndarray) -> np.ndarray:
    half = size * 0.5
    return np.concatenate([centre - half, centre + half], axis=1).astype(np.float32, copy=False)
