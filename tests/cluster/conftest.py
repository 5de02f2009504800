"""One local Ray cluster and one looping clip for the cluster tests (the failover test, last, kills a node)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cluster_setup import LocalCluster, looping_clip, start_cluster


@pytest.fixture(scope="package")
def clip(samples_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return looping_clip(samples_dir / "vtest.avi", tmp_path_factory.mktemp("cluster") / "gate.mp4", seconds=8.0)


@pytest.fixture(scope="package")
def ray_cluster() -> Iterator[LocalCluster]:
    running = start_cluster(workers=3, camera_slots=8)
    yield running
    running.shutdown()
