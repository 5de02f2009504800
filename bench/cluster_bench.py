"""Cluster figures on a local Ray cluster (head + worker nodes on this machine) and a real PostgreSQL:
the shared detector under N cameras x F det/s (mean batch, p95 round trip, served share) and the time a
killed worker node's cameras take to run again elsewhere.

    python -m bench.cluster_bench --cameras 8 --fps 5 --seconds 40 --json bench/results/cluster-ray.json

Served share = detections answered / (cameras x det/s x seconds running): the frames the detection
schedule offered at the configured rate, whether the scheduler got to send them or not.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from gatewatch.cluster.fleet import CameraFleet, DetectorPlacement
from gatewatch.config.settings import get_settings
from tests.cluster_setup import LocalCluster, crowding_config, looping_clip, percentile_ms, start_cluster
from tests.postgres_server import PostgresServer

ON_HEAD = DetectorPlacement(num_cpus=1.0, use_detector_slot=True)


def detector_load(url: str, clip: Path, cameras: int, fps: float, seconds: float) -> dict[str, Any]:
    config = crowding_config(clip, [f"cam{i:02d}" for i in range(cameras)], detection_fps=fps)
    fleet = CameraFleet(config, get_settings(), url, ON_HEAD)
    try:
        fleet.wait_running(timeout_s=180.0)
        start = fleet.placements()
        started = time.monotonic()
        time.sleep(seconds)
        end = fleet.placements()
        elapsed = time.monotonic() - started
        stats = fleet.detector_stats()
    finally:
        fleet.stop()
    served = sum(end[c].detector.served - start[c].detector.served for c in end)
    failed = sum(end[c].detector.failed - start[c].detector.failed for c in end)
    frames = sum(end[c].status.frames_in - start[c].status.frames_in for c in end)
    latencies = [s for p in end.values() for s in p.detector.recent_s[-int(fps * seconds) :]]
    offered = cameras * fps * elapsed
    return {
        "cameras": cameras,
        "detection_fps": fps,
        "seconds": round(elapsed, 1),
        "offered": round(offered),
        "served": served,
        "failed": failed,
        "served_share": round(served / offered, 3),
        "frames_decoded_per_s": round(frames / elapsed, 1),
        "round_trip_ms": {"p50": percentile_ms(latencies, 50), "p95": percentile_ms(latencies, 95)},
        "service": {
            "requests": stats.requests,
            "batches": stats.batches,
            "mean_batch": round(stats.mean_batch, 2),
            "largest_batch": stats.largest_batch,
            "infer_ms_per_batch": round(1000 * stats.infer_s / max(stats.batches, 1), 1),
            "refused": stats.refused,
        },
    }


def failover(cluster: LocalCluster, url: str, clip: Path, cameras: int) -> dict[str, Any]:
    config = crowding_config(clip, [f"cam{i:02d}" for i in range(cameras)], detection_fps=1.0)
    fleet = CameraFleet(config, get_settings(), url, ON_HEAD)
    try:
        before = fleet.wait_running(timeout_s=180.0)
        fleet.warm_spare_workers()
        time.sleep(5.0)
        by_node: dict[str, set[str]] = defaultdict(set)
        for cam, placement in before.items():
            by_node[placement.node_id].add(cam)
        dead, lost = max(by_node.items(), key=lambda item: len(item[1]))
        cluster.cluster.remove_node(cluster.node_of(dead), allow_graceful=False)
        killed, killed_at = time.monotonic(), dt.datetime.now(dt.UTC)
        while True:
            found = fleet.placements()
            if all(found[c].started_at > killed_at and found[c].status.frames_in > 0 for c in lost):
                break
            time.sleep(0.1)
        back_s = time.monotonic() - killed
    finally:
        fleet.stop()
    return {
        "cameras": cameras,
        "detection_fps": 1.0,
        "lost_cameras": len(lost),
        "running_again_s": round(back_s, 1),
        "actors_started_s": sorted(round((found[c].started_at - killed_at).total_seconds(), 1) for c in lost),
        "others_restarted": sum(found[c].pid != before[c].pid for c in set(found) - lost),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cameras", type=int, default=8)
    parser.add_argument("--fps", type=float, default=5.0)
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--failover-cameras", type=int, default=12)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    samples = get_settings().samples_dir
    server = PostgresServer()
    server.start()
    cluster = start_cluster(workers=3, camera_slots=8)
    try:
        clip = looping_clip(samples / "vtest.avi", server.root / "gate.mp4", seconds=8.0)
        load = detector_load(server.create_database(), clip, args.cameras, args.fps, args.seconds)
        print(json.dumps({"detector_load": load}), flush=True)
        lost = failover(cluster, server.create_database(), clip, args.failover_cameras)
        print(json.dumps({"failover": lost}), flush=True)
    finally:
        cluster.shutdown()
        server.stop()
    result = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}",
        "cluster": "ray.cluster_utils.Cluster: head (detector) + 3 worker nodes (8 camera slots each), one machine",
        "detector_load": load,
        "failover": lost,
    }
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
