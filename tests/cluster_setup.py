"""A local Ray cluster (``ray.cluster_utils.Cluster``: a head and worker nodes, each its own raylet
process tree) and small looping camera sources made from a real sample clip, for the cluster tests and
bench/cluster_bench.py.

Node resources are logical (the whole cluster shares this machine's 2 real cores): every node says 2 CPUs,
as a 2-core camera node would, which also lets its raylet start two worker processes at once (Ray starts
at most min(CPUs, cores) in parallel: with 1, four cameras restarted on a node start one after another).
Camera actors reserve no CPU, only a ``camera_slot``; the detector service needs the head's
``detector_slot``. Health checks every 0.5 s with a 0.5 s timeout, three misses: a killed node is declared
dead in ~1.5-2 s (Ray's defaults take ~15 s; with the default 10 s timeout a check of a killed raylet can
hang past the period). ``num_workers_soft_limit`` lets each node keep idle warm workers beside its
camera actors (``CameraFleet.warm_spare_workers``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import numpy as np
import ray
from ray.cluster_utils import Cluster

from gatewatch.config.schema import GatewatchConfig

HEALTH_CHECKS = {
    "health_check_period_ms": 500,
    "health_check_failure_threshold": 3,
    "health_check_initial_delay_ms": 0,
    "health_check_timeout_ms": 500,
    "num_workers_soft_limit": 16,
}
CLIP_SIZE = (320, 240)


@dataclass
class LocalCluster:
    cluster: Cluster
    workers: list[Any]  # ray._private.node.Node of each worker node

    def node_of(self, node_id: str) -> Any:
        return next(node for node in self.workers if node.node_id == node_id)

    def shutdown(self) -> None:
        ray.shutdown()
        self.cluster.shutdown()  # type: ignore[no-untyped-call]  # ray.cluster_utils has no annotations


def start_cluster(workers: int, camera_slots: int) -> LocalCluster:
    """A head (the detector's node, no camera slots) and ``workers`` nodes with ``camera_slots`` each."""
    cluster = Cluster(
        initialize_head=True,
        head_node_args={"num_cpus": 2, "resources": {"detector_slot": 1}, "_system_config": HEALTH_CHECKS},
    )
    nodes = [cluster.add_node(num_cpus=2, resources={"camera_slot": camera_slots}) for _ in range(workers)]
    ray.init(address=cluster.address, log_to_driver=False)
    cluster.wait_for_nodes()
    return LocalCluster(cluster, nodes)


def looping_clip(source: Path, out: Path, seconds: float) -> Path:
    """The first ``seconds`` of ``source`` at 320 x 240 in H.264: a real camera picture, cheap to decode."""
    with av.open(str(source)) as src, av.open(str(out), "w") as dst:
        stream_in = src.streams.video[0]
        rate = stream_in.average_rate or 10
        stream = dst.add_stream("libx264", rate=rate, options={"preset": "ultrafast", "g": "10"})
        stream.width, stream.height = CLIP_SIZE
        stream.pix_fmt = "yuv420p"
        for index, frame in enumerate(src.decode(stream_in)):
            if index >= seconds * float(rate):
                break
            small = frame.reformat(width=CLIP_SIZE[0], height=CLIP_SIZE[1], format="yuv420p")
            small.pts = None
            dst.mux(stream.encode(small))
        dst.mux(stream.encode(None))
    return out


def crowding_config(clip: Path, cameras: Sequence[str], detection_fps: float) -> GatewatchConfig:
    """Cameras that all watch ``clip`` in a loop with one whole-frame crowding zone.

    The clip always shows two or more people, so each pass of the loop raises one crowding event
    (after ``min_duration_s``) that ends when the file restarts (reason ``source_restart``).
    """
    zone = {
        "id": "gate",
        "polygon": [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]],
        "crowding": {"min_count": 2, "min_duration_s": 1.0, "hysteresis": 1, "clear_s": 1.0, "cooldown_s": 0.0},
    }
    return GatewatchConfig.model_validate(
        {
            "detector": {"model": "yolox_nano", "detection_fps": detection_fps, "threads": 1},
            "cameras": [
                {"id": cam, "source": str(clip), "loop": True, "realtime": True, "zones": [zone]} for cam in cameras
            ],
        }
    )


def percentile_ms(values: Sequence[float], q: float) -> float:
    return round(1000 * float(np.percentile(np.asarray(values, np.float64), q)), 1) if values else 0.0
