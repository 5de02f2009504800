"""YOLOX (Megvii) exports: output [1, anchors, 5 + classes] of raw grid offsets, objectness and class scores."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from gatewatch.vision.detector.adapter import STRIDES, Candidates, anchor_count, xywh_to_xyxy
from gatewatch.vision.detector.errors import ModelError
from gatewatch.vision.detector.letterbox import LetterboxSpec
from gatewatch.vision.detector.session import ModelIO, format_shape

LETTERBOX = LetterboxSpec(centre=False, rgb=False, scale=1.0)  # BGR 0-255, image at the top-left


class YoloxAdapter:
    letterbox = LETTERBOX

    def __init__(self, input_size: tuple[int, int], class_names: Sequence[str]) -> None:
        self.class_names = tuple(class_names)
        width, height = input_size
        grids, strides = [], []
        for stride in STRIDES:  # same anchor order as YOLOX's demo_postprocess: stride, then row, then column
            ys, xs = np.mgrid[0 : height // stride, 0 : width // stride]
            grids.append(np.stack([xs.ravel(), ys.ravel()], axis=1))
            strides.append(np.full((xs.size, 1), stride))
        self._grid = np.concatenate(grids).astype(np.float32)
        self._stride = np.concatenate(strides).astype(np.float32)

    def decode(self, output: np.ndarray, confidence: float) -> Candidates:
        # score = objectness * class score <= objectness, so filtering on objectness first is exact
        # and skips the class product for the ~99% of anchors that see background.
        rows = np.flatnonzero(output[:, 4] >= confidence)
        class_scores = output[rows, 5:] * output[rows, 4:5]
        class_id = class_scores.argmax(axis=1)
        score = class_scores[np.arange(rows.size), class_id]
        keep = score >= confidence
        rows, class_id, score = rows[keep], class_id[keep], score[keep]
        stride = self._stride[rows]
        centre = (output[rows, :2] + self._grid[rows]) * stride
        size = np.exp(output[rows, 2:4]) * stride
        return Candidates(xywh_to_xyxy(centre, size), score.astype(np.float32), class_id.astype(np.int32))


def build(io: ModelIO, input_size: tuple[int, int], class_names: Sequence[str] | None) -> YoloxAdapter:
    if not class_names:
        raise ModelError(f"{io.path}: YOLOX models carry no class names; list them in the manifest's classes")
    expected = f"output [1, {anchor_count(input_size)}, {5 + len(class_names)}] for yolox ([1, N, 5+classes])"
    shape = io.output_shapes[0] if len(io.output_shapes) == 1 else ()
    if len(shape) != 3 or shape[1:] != (anchor_count(input_size), 5 + len(class_names)):
        found = ", ".join(format_shape(s) for s in io.output_shapes)
        raise ModelError(f"{io.path}: expected {expected} with {len(class_names)} classes, found {found}")
    return YoloxAdapter(input_size, class_names)
