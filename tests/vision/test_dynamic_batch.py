"""A batch-1 export run with a dynamic batch: one session.run for several frames, the same detections."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gatewatch.assets.models import load_detector
from gatewatch.config.settings import Settings
from gatewatch.vision.analytics_config import DetectorConfig
from gatewatch.vision.detections import Detections
from gatewatch.vision.detector.detector import OnnxDetector
from gatewatch.vision.detector.dynamic_batch import dynamic_batch_model
from gatewatch.vision.detector.errors import ModelError
from gatewatch.vision.detector.factory import build_detector
from tests.assets import load_image


def _same(a: Detections, b: Detections) -> bool:
    return len(a) == len(b) and np.allclose(a.xyxy, b.xyxy, atol=0.01) and np.array_equal(a.class_id, b.class_id)


def test_batched_detector_runs_a_round_in_one_call_with_the_same_detections(settings: Settings) -> None:
    images = [load_image(name) for name in ("bus.jpg", "zidane.jpg")]
    frames = [images[i % 2] for i in range(3)]
    single = load_detector(DetectorConfig(threads=1), settings.models_dir, settings.weights_dir)
    batched = load_detector(DetectorConfig(threads=1, batch=True), settings.models_dir, settings.weights_dir)
    assert isinstance(batched, OnnxDetector) and batched.batched
    calls: list[int] = []
    run = batched.session.run

    def counted(names: object, feed: dict[str, np.ndarray]) -> object:
        calls.append(len(next(iter(feed.values()))))  # frames in this run
        return run(names, feed)

    batched.session.run = counted
    got = batched.detect_batch(frames)
    assert calls == [3], "one run for the whole round"
    expected = [single.detect(frame) for frame in frames]
    assert all(_same(e, g) for e, g in zip(expected, got)) and not _same(got[0], got[1])


def test_a_graph_that_cannot_be_freed_is_refused_by_name(tmp_path: Path, settings: Settings) -> None:
    import onnx
    from onnx import TensorProto, helper

    # Reshape to a shape computed at run time: no constant to fix, so no dynamic batch is claimed.
    x = helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, 32, 32])
    y = helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 3072])
    graph = helper.make_graph(
        [helper.make_node("Shape", ["images"], ["s"]), helper.make_node("Reshape", ["images", "s"], ["output"])],
        "g", [x], [y],
    )  # fmt: skip
    path = tmp_path / "fixed.onnx"
    onnx.save(helper.make_model(graph), str(path))
    assert dynamic_batch_model(path) is None
    with pytest.raises(ModelError, match="cannot run it with a dynamic batch"):
        build_detector(path, "yolox", (32, 32), ["a"], 0.3, 0.45, 1, batch=True)
