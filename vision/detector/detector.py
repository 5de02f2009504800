"""The ``Detector`` interface and its ONNX Runtime implementation: letterbox, run, decode, NMS, map back."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import cv2
import numpy as np
import onnxruntime as ort

from gatewatch.vision.detections import Detections
from gatewatch.vision.detector.adapter import Adapter, Candidates
from gatewatch.vision.detector.letterbox import PAD_VALUE, Letterbox, LetterboxSpec, Placement, to_source


@runtime_checkable
class Detector(Protocol):
    name: str
    class_names: tuple[str, ...]
    input_size: tuple[int, int]  # model input (width, height)

    def detect(self, frame_bgr: np.ndarray) -> Detections:
        """Detections of one (H, W, 3) uint8 BGR frame, boxes in its pixels and clipped to it."""
        ...

    def detect_batch(self, frames: list[np.ndarray]) -> list[Detections]: ...


class OnnxDetector:
    """A ``Detector`` on one ONNX Runtime session. Not thread-safe: it reuses its input buffers, so give
    each worker thread its own detector."""

    def __init__(
        self,
        session: ort.InferenceSession,
        adapter: Adapter,
        input_size: tuple[int, int],
        confidence: float,
        nms_iou: float,
        name: str,
    ) -> None:
        if not 0.0 < confidence <= 1.0 or not 0.0 < nms_iou < 1.0:
            raise ValueError(f"expected 0 < confidence <= 1 and 0 < nms_iou < 1, got {confidence}, {nms_iou}")
        self.name = name
        self.class_names = adapter.class_names
        self.input_size = input_size
        self.confidence = confidence
        self.nms_iou = nms_iou
        self.session = session
        self._adapter = adapter
        self._input_name = session.get_inputs()[0].name
        # Static batch (both shipped models are exported with batch 1): detect_batch loops one frame a run.
        # A dynamic batch dimension lets detect_batch send all frames in one run.
        self.batched = not isinstance(session.get_inputs()[0].shape[0], int)
        self._letterbox = Letterbox(input_size, adapter.letterbox)
        self._buffer = np.empty((1, 3, input_size[1], input_size[0]), np.float32)
        width, height = input_size
        self.detect(np.full((height, width, 3), PAD_VALUE, np.uint8))  # warm-up: first run allocates ORT arenas

    def detect(self, frame_bgr: np.ndarray) -> Detections:
        return self._run([frame_bgr])[0]

    def detect_batch(self, frames: list[np.ndarray]) -> list[Detections]:
        if self.batched:
            return self._run(frames) if frames else []
        return [self._run([frame])[0] for frame in frames]

    @property
    def letterbox_spec(self) -> LetterboxSpec:
        """How a frame becomes this model's input (for callers that letterbox elsewhere)."""
        return self._letterbox.spec

    def detect_inputs(self, inputs: np.ndarray) -> list[Detections]:
        """Detections of inputs letterboxed already, (N, 3, h, w) float32: boxes stay in model-input pixels.

        For a detector shared by cameras on other machines (gatewatch.cluster): each camera letterboxes
        its own frames and maps the boxes back with its own ``Placement``.
        """
        width, height = self.input_size
        if inputs.ndim != 4 or inputs.shape[1:] != (3, height, width) or inputs.dtype != np.float32:
            raise ValueError(f"inputs: expected (N, 3, {height}, {width}) float32, got {inputs.shape} {inputs.dtype}")
        whole = Placement(1.0, 0, 0, width, height)
        runs = [inputs] if self.batched else [inputs[i : i + 1] for i in range(len(inputs))]
        outputs = [out for run in runs for out in self.session.run(None, {self._input_name: run})[0]]
        return [self._finish(self._adapter.decode(out, self.confidence), whole) for out in outputs]

    def _run(self, frames: list[np.ndarray]) -> list[Detections]:
        if self._buffer.shape[0] < len(frames):
            self._buffer = np.empty((len(frames), *self._buffer.shape[1:]), np.float32)
        batch = self._buffer[: len(frames)]
        placements = [self._letterbox(frame, slot) for frame, slot in zip(frames, batch)]
        (output,) = self.session.run(None, {self._input_name: batch})
        return [
            self._finish(self._adapter.decode(out, self.confidence), placement)
            for out, placement in zip(output, placements)
        ]

    def _finish(self, found: Candidates, placement: Placement) -> Detections:
        xywh = np.concatenate([found.xyxy[:, :2], found.xyxy[:, 2:] - found.xyxy[:, :2]], axis=1)
        # Class-aware NMS in C++; top_k=0 means no cap: a crowd at the gate is 50+ people.
        # OpenCV's stubs list Sequence parameters; the function takes (and is fed) arrays.
        kept = cv2.dnn.NMSBoxesBatched(
            xywh,  # type: ignore[arg-type]
            found.score,  # type: ignore[arg-type]
            found.class_id,  # type: ignore[arg-type]
            self.confidence,
            self.nms_iou,
            eta=1.0,
            top_k=0,
        )
        keep = np.asarray(kept, dtype=np.intp).reshape(-1)
        return Detections(to_source(found.xyxy[keep], placement), found.score[keep], found.class_id[keep])
