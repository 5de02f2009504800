"""Several detector sessions run side by side, so one scheduler round's frames are inferred in parallel.

A single session with 2 intra-op threads scales poorly on a small model (yolox_nano: ~31 ms CPU per
inference at 2 threads against ~23 ms at 1, see bench/README.md), and the scheduler thread waits for
each run in turn. Two 1-thread sessions fed from a round's frames keep both cores busy with less CPU
per inference. ONNX Runtime releases the GIL inside ``run``, so plain threads suffice.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from gatewatch.vision.detections import Detections
from gatewatch.vision.detector.detector import Detector


class ParallelDetector:
    """A ``Detector`` over ``workers`` (each not thread-safe); ``detect_batch`` splits frames among them.

    Each worker gets a contiguous share of the frames and runs them with its own session and buffers,
    so no worker is used by two threads at once. Results come back in the order of ``frames``.
    """

    def __init__(self, workers: list[Detector]) -> None:
        if len(workers) < 2:
            raise ValueError(f"ParallelDetector needs at least 2 workers, got {len(workers)}")
        first = workers[0]
        if any(w.class_names != first.class_names or w.input_size != first.input_size for w in workers):
            raise ValueError("ParallelDetector workers must run the same model")
        self.name = first.name
        self.class_names = first.class_names
        self.input_size = first.input_size
        self._workers = workers
        self._pool = ThreadPoolExecutor(len(workers), thread_name_prefix="detector")

    def detect(self, frame_bgr: np.ndarray) -> Detections:
        return self._workers[0].detect(frame_bgr)

    def detect_batch(self, frames: list[np.ndarray]) -> list[Detections]:
        if len(frames) <= 1:
            return self._workers[0].detect_batch(frames)
        n = min(len(self._workers), len(frames))
        bounds = [len(frames) * i // n for i in range(n + 1)]
        futures = [
            self._pool.submit(worker.detect_batch, frames[lo:hi])
            for worker, lo, hi in zip(self._workers, bounds, bounds[1:])
        ]
        return [detections for future in futures for detections in future.result()]
