"""Ultralytics YOLOv8 / YOLO11 detect exports: output [1, 4 + classes, anchors], class names in metadata."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from gatewatch.vision.detector.adapter import Candidates, xywh_to_xyxy
from gatewatch.vision.detector.errors import ModelError
from gatewatch.vision.detector.letterbox import LetterboxSpec
from gatewatch.vision.detector.session import ModelIO, format_shape

LETTERBOX = LetterboxSpec(centre=True, rgb=True, scale=1.0 / 255.0)


class UltralyticsAdapter:
    letterbox = LETTERBOX

    def __init__(self, class_names: Sequence[str]) -> None:
        self.class_names = tuple(class_names)

    def decode(self, output: np.ndarray, confidence: float) -> Candidates:
        class_scores = output[4:]  # (classes, anchors): already sigmoid scores, no objectness
        score = class_scores.max(axis=0)
        cols = np.flatnonzero(score >= confidence)
        class_id = class_scores[:, cols].argmax(axis=0)
        boxes = output[:4, cols].T  # cx, cy, w, h
        return Candidates(
            xywh_to_xyxy(boxes[:, :2], boxes[:, 2:]), score[cols].astype(np.float32), class_id.astype(np.int32)
        )


def build(io: ModelIO, input_size: tuple[int, int], class_names: Sequence[str] | None) -> UltralyticsAdapter:
    names = io.metadata_names()
    if class_names is not None:
        if names is not None and len(names) != len(class_names):
            raise ModelError(
                f"{io.path}: manifest lists {len(class_names)} classes but the model's metadata names {len(names)}"
            )
        names = tuple(class_names)
    if names is None:
        raise ModelError(f"{io.path}: no 'names' in the ONNX metadata; list the classes in the manifest")
    shape = io.output_shapes[0] if len(io.output_shapes) == 1 else ()
    if len(shape) != 3 or shape[1] != 4 + len(names):  # also rejects transposed and end-to-end (NMS) exports
        found = ", ".join(format_shape(s) for s in io.output_shapes)
        raise ModelError(
            f"{io.path}: expected output [1, {4 + len(names)}, N] for ultralytics ([1, 4+classes, anchors] with "
            f"{len(names)} classes), found {found}"
        )
    return UltralyticsAdapter(names)
