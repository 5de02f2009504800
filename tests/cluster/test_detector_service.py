"""The shared detector on a real Ray cluster: a camera's remote detections equal local ones; calls batch."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
import ray

from gatewatch.assets.models import load_detector, load_manifest
from gatewatch.cluster.detector_service import DetectorService, ModelInput
from gatewatch.cluster.remote_detector import RemoteDetector
from gatewatch.config.settings import Settings
from gatewatch.vision.analytics_config import DetectorConfig
from tests.cluster_setup import LocalCluster

pytestmark = pytest.mark.cluster

CONFIG = DetectorConfig(model="yolox_nano", threads=1)


@pytest.fixture(scope="module")
def service(ray_cluster: LocalCluster, settings: Settings) -> Iterator[Any]:
    on_head = ray.remote(DetectorService).options(num_cpus=1, resources={"detector_slot": 1})
    actor: Any = on_head.remote(CONFIG, settings)
    yield actor
    ray.kill(actor)


def _frames(clip: Path, count: int) -> list[np.ndarray]:
    with av.open(str(clip)) as container:
        return [frame.to_ndarray(format="bgr24") for _, frame in zip(range(count), container.decode(video=0))]


def test_remote_detections_equal_the_local_detector_s(service: Any, clip: Path, settings: Settings) -> None:
    model: ModelInput = ray.get(service.model_input.remote())
    remote = RemoteDetector(service, model)
    local = load_detector(CONFIG, settings.models_dir, settings.weights_dir, load_manifest(settings.manifest))
    frame = _frames(clip, 1)[0]  # 320 x 240: letterboxed with padding, so the mapping back is exercised
    got, expected = remote.detect(frame), local.detect(frame)
    assert len(expected) >= 2  # people at the gate
    np.testing.assert_array_equal(got.class_id, expected.class_id)
    np.testing.assert_allclose(got.xyxy, expected.xyxy, atol=1e-3)
    np.testing.assert_allclose(got.confidence, expected.confidence, atol=1e-6)
    assert remote.calls().served == 1


def test_calls_arriving_together_run_as_one_batch(service: Any, clip: Path) -> None:
    model: ModelInput = ray.get(service.model_input.remote())
    before = ray.get(service.stats.remote())
    found = RemoteDetector(service, model).detect_batch(_frames(clip, 8))  # 8 calls in flight at once
    after = ray.get(service.stats.remote())
    assert len(found) == 8 and all(len(d) > 0 for d in found)
    assert after.requests - before.requests == 8
    assert after.batches - before.batches < 8  # gathered: fewer model runs than calls
    assert after.largest_batch > 1


def test_an_input_that_is_not_the_model_s_size_is_refused(service: Any) -> None:
    with pytest.raises(ValueError, match=r"expected \(3, 416, 416\) uint8"):
        ray.get(service.detect.remote(np.zeros((3, 240, 320), np.uint8)))
