"""Letterbox a BGR frame into a reused NCHW float32 slot: resize keeping aspect ratio, pad with 114."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

PAD_VALUE = 114  # grey both YOLOX and Ultralytics pad with during training


@dataclass(frozen=True, slots=True)
class Placement:
    """Where the frame landed in the model input: input = source * scale + (pad_x, pad_y)."""

    scale: float
    pad_x: int
    pad_y: int
    width: int  # source frame size, for clipping boxes mapped back
    height: int


@dataclass(frozen=True, slots=True)
class LetterboxSpec:
    centre: bool  # Ultralytics centres the image; YOLOX places it at the top-left
    rgb: bool
    scale: float  # multiplier on 0-255 pixel values


class Letterbox:
    def __init__(self, size: tuple[int, int], spec: LetterboxSpec) -> None:
        self.size = size
        self.spec = spec
        width, height = size
        self._canvas = np.full((height, width, 3), PAD_VALUE, np.uint8)
        self._last: tuple[int, int, int, int] | None = None

    def __call__(self, frame: np.ndarray, out: np.ndarray) -> Placement:
        """Write ``frame`` (H, W, 3) uint8 BGR into ``out`` (3, h, w) float32; return the mapping."""
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise ValueError(f"frame: expected (H, W, 3) uint8 BGR, got {frame.shape} {frame.dtype}")
        height, width = frame.shape[:2]
        in_w, in_h = self.size
        scale = min(in_w / width, in_h / height)
        new_w, new_h = min(in_w, round(width * scale)), min(in_h, round(height * scale))
        left, top = ((in_w - new_w) // 2, (in_h - new_h) // 2) if self.spec.centre else (0, 0)
        # Streams keep one resolution, so the padding is painted only when the placement changes.
        if self._last != (new_w, new_h, left, top):
            self._canvas.fill(PAD_VALUE)
            self._last = (new_w, new_h, left, top)
        cv2.resize(
            frame,
            (new_w, new_h),
            dst=self._canvas[top : top + new_h, left : left + new_w],
            interpolation=cv2.INTER_LINEAR,
        )
        planes = cv2.split(self._canvas)  # contiguous planes: faster than a strided HWC->CHW copy
        for plane, target in zip(planes[::-1] if self.spec.rgb else planes, out):
            if self.spec.scale == 1.0:
                np.copyto(target, plane)
            else:
                np.multiply(plane, np.float32(self.spec.scale), out=target)
        return Placement(scale, left, top, width, height)


def to_source(xyxy: np.ndarray, placement: Placement) -> np.ndarray:
    """Boxes (N, 4) in model-input pixels mapped back to the source frame of ``placement``, clipped to it."""
    offset = np.array([placement.pad_x, placement.pad_y] * 2, np.float32)
    source = (xyxy - offset) / np.float32(placement.scale)
    np.clip(source[:, 0::2], 0, placement.width, out=source[:, 0::2])
    np.clip(source[:, 1::2], 0, placement.height, out=source[:, 1::2])
    return source
