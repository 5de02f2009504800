"""ParallelDetector: the frames of one round split over several real sessions, results in frame order."""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np
import pytest

from gatewatch.assets.models import load_detector
from gatewatch.config.settings import Settings
from gatewatch.vision.analytics_config import DetectorConfig
from gatewatch.vision.detections import Detections
from gatewatch.vision.detector import Detector
from gatewatch.vision.detector.parallel import ParallelDetector
from tests.assets import load_image

DetectBatch = Callable[[list[np.ndarray]], list[Detections]]


def _same(a: Detections, b: Detections) -> bool:
    return len(a) == len(b) and np.allclose(a.xyxy, b.xyxy, atol=0.01) and np.array_equal(a.class_id, b.class_id)


def test_parallel_batch_matches_one_session_in_frame_order(settings: Settings) -> None:
    images = [load_image(name) for name in ("bus.jpg", "zidane.jpg")]
    frames = [images[i % 2] for i in range(5)]  # uneven split over 2 workers: 2 + 3 frames
    single = load_detector(DetectorConfig(threads=1), settings.models_dir, settings.weights_dir)
    parallel = load_detector(DetectorConfig(threads=1, workers=2), settings.models_dir, settings.weights_dir)
    assert isinstance(parallel, ParallelDetector)
    expected = [single.detect(frame) for frame in frames]
    got = parallel.detect_batch(frames)
    assert len(got) == len(frames)
    assert all(_same(e, g) for e, g in zip(expected, got))
    assert not _same(got[0], got[1])  # bus and zidane differ, so an order mix-up would show


def test_parallel_runs_sessions_at_the_same_time(settings: Settings) -> None:
    # Both sessions must be inside detect_batch at once: a barrier that only opens for two concurrent
    # callers times out (BrokenBarrierError) if the frames ran one after the other.
    workers = [load_detector(DetectorConfig(threads=1), settings.models_dir, settings.weights_dir) for _ in range(2)]
    both_running = threading.Barrier(2, timeout=20)
    seen: set[str] = set()
    for worker in workers:
        run = worker.detect_batch

        def spy(
            frames: list[np.ndarray], run: Callable[[list[np.ndarray]], list[Detections]] = run
        ) -> list[Detections]:
            seen.add(threading.current_thread().name)
            both_running.wait()
            return run(frames)

        worker.detect_batch = spy  # type: ignore[method-assign]
    frame = load_image("bus.jpg")
    results = ParallelDetector(workers).detect_batch([frame, frame])
    assert len(results) == 2 and len(results[0]) > 0
    assert len(seen) == 2 and all(name.startswith("detector") for name in seen)


def test_parallel_refuses_one_worker_or_mixed_models(settings: Settings, detector: Detector) -> None:
    with pytest.raises(ValueError, match="at least 2 workers"):
        ParallelDetector([detector])
    other = load_detector(DetectorConfig(model="yolov8n_int8", threads=1), settings.models_dir, settings.weights_dir)
    with pytest.raises(ValueError, match="same model"):
        ParallelDetector([detector, other])
