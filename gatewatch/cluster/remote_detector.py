"""The camera's side of the shared detector: a ``Detector`` whose model runs in the cluster's DetectorService.

The camera letterboxes each frame itself (decode and resize stay where the camera runs), sends the
model-sized uint8 input, and maps the boxes it gets back into its frame. The scheduler sees an ordinary
``Detector``: a call that fails or times out raises, and the scheduler coasts those frames (logged).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import ray

from gatewatch.cluster.detector_service import ModelInput
from gatewatch.vision.detections import Detections
from gatewatch.vision.detector.letterbox import Letterbox, to_source

DETECT_TIMEOUT_S = 10.0  # covers the service's restart on another node (~5 s); then the frames are coasted
LATENCY_WINDOW = 2000  # round trips kept for the percentiles


@dataclass(frozen=True, slots=True)
class DetectorCalls:
    """The camera's detection requests: answered, failed (error, timeout, refused) and round-trip times."""

    served: int
    failed: int
    mean_s: float
    p95_s: float
    recent_s: tuple[float, ...] = ()  # the last LATENCY_WINDOW round trips, for percentiles over many cameras


class RemoteDetector:
    """Thread-safe for one scheduler thread (the only caller); ``calls`` may be read from any thread."""

    def __init__(self, service: Any, model: ModelInput, timeout_s: float = DETECT_TIMEOUT_S) -> None:
        self.name = model.name
        self.class_names = model.class_names
        self.input_size = model.input_size
        self._service = service  # a Ray ActorHandle of DetectorService (untyped in Ray)
        # 0-255 pixels: a uint8 input is a quarter of float32's bytes; the service applies the model's scale.
        self._letterbox = Letterbox(model.input_size, replace(model.letterbox, scale=1.0))
        self._timeout_s = timeout_s
        self._lock = threading.Lock()
        self._latencies: deque[float] = deque(maxlen=LATENCY_WINDOW)
        self._served = self._failed = 0

    def detect(self, frame_bgr: np.ndarray) -> Detections:
        return self.detect_batch([frame_bgr])[0]

    def detect_batch(self, frames: list[np.ndarray]) -> list[Detections]:
        if not frames:
            return []
        width, height = self.input_size
        inputs = np.empty((len(frames), 3, height, width), np.uint8)
        placements = [self._letterbox(frame, slot) for frame, slot in zip(frames, inputs)]
        started = time.monotonic()
        refs = [self._service.detect.remote(image) for image in inputs]
        try:
            found: list[Detections] = ray.get(refs, timeout=self._timeout_s)
        except Exception:
            with self._lock:
                self._failed += len(frames)
            raise
        elapsed = time.monotonic() - started
        with self._lock:
            self._served += len(frames)
            self._latencies.extend([elapsed] * len(frames))
        return [Detections(to_source(d.xyxy, p), d.confidence, d.class_id) for d, p in zip(found, placements)]

    def calls(self) -> DetectorCalls:
        with self._lock:
            latencies = np.array(self._latencies, np.float64)
            served, failed = self._served, self._failed
        if latencies.size == 0:
            return DetectorCalls(served, failed, 0.0, 0.0)
        p95 = float(np.percentile(latencies, 95))
        return DetectorCalls(served, failed, float(latencies.mean()), p95, tuple(latencies.tolist()))
