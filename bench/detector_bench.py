"""Per-frame detector latency (letterbox + inference + decode + NMS) on bus.jpg, as JSON.

Run from the repo root: python -m bench.detector_bench [--frames 50] [--models-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort

from gatewatch.assets.images import load_image
from gatewatch.assets.models import load_detector, load_manifest
from gatewatch.config.settings import get_settings
from gatewatch.vision.analytics_config import DetectorConfig


def time_detector(
    model: str, threads: int, models_dir: Path | None, frame: np.ndarray, frames: int
) -> dict[str, object]:
    detector = load_detector(DetectorConfig(model=model, threads=threads), models_dir)  # warms up at load
    timings = np.empty(frames)
    for i in range(frames):
        start = time.perf_counter()
        found = detector.detect(frame)
        timings[i] = (time.perf_counter() - start) * 1000.0
    return {
        "model": model,
        "threads": threads,
        "frames": frames,
        "mean_ms": round(float(timings.mean()), 2),
        "p95_ms": round(float(np.percentile(timings, 95)), 2),
        "detections": len(found),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=50, help="Timed frames per model and thread count.")
    parser.add_argument(
        "--models-dir", type=Path, default=os.environ.get("GATEWATCH_MODELS_DIR"), help="Model files directory."
    )
    args = parser.parse_args()
    frame = load_image("bus.jpg", get_settings().cache_dir / "assets")
    results = [
        time_detector(model, threads, args.models_dir, frame, args.frames)
        for model in load_manifest().models
        for threads in (1, 2)
    ]
    host = {"cpus": os.cpu_count(), "machine": platform.machine(), "onnxruntime": ort.__version__}
    print(json.dumps({"image": "bus.jpg", "host": host, "results": results}, indent=2))


if __name__ == "__main__":
    main()
