"""What the hardware can do with no pipeline around it: bare PyAV decode and bare ONNX Runtime inference.

Each ceiling is also CPU seconds per unit of work (process CPU, all threads), which is what the trial's
overhead share subtracts. Run in its own process: ``python -m gatewatch.bench.ceilings SPEC_JSON``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import av
import cv2
import numpy as np
from pydantic import Field

from gatewatch.assets.models import load_manifest, resolve_model
from gatewatch.bench.probe import process_cpu_s
from gatewatch.config.settings import get_settings
from gatewatch.vision.analytics_config import DetectorConfig, StrictModel
from gatewatch.vision.detector.dynamic_batch import dynamic_batch_model
from gatewatch.vision.detector.session import create_session


class CeilingSpec(StrictModel):
    sources: list[str] = Field(min_length=1, description="Prepared clips to decode.")
    decode_frames: int = Field(250, ge=10, le=100_000, description="Frames decoded per clip and mode.")
    models: list[str] = Field(["yolox_nano"], min_length=1, description="Model names from the manifest.")
    inference_s: float = Field(4.0, gt=0.0, le=600.0, description="Seconds of back-to-back inference timed.")
    threads: int = Field(DetectorConfig().threads, ge=1, le=64, description="ONNX Runtime intra-op threads.")


def _decode(path: str, frames: int, to_bgr: bool) -> tuple[int, float, float]:
    """Frames decoded back to back: wall seconds, CPU seconds; decoder threading as the live reader sets it."""
    with av.open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"  # as the live camera reader decodes (FFmpeg picks the thread count)
        done = 0
        wall, cpu = time.perf_counter(), process_cpu_s()
        for frame in container.decode(stream):
            if to_bgr:
                frame.to_ndarray(format="bgr24")
            done += 1
            if done >= frames:
                break
        return done, time.perf_counter() - wall, process_cpu_s() - cpu


def decode_ceiling(sources: list[str], frames: int) -> dict[str, object]:
    """Per clip: bare decode (frames never leave FFmpeg) and decode + BGR conversion (what the reader does)."""
    per_clip = {}
    for path in sources:
        row = {}
        for mode, to_bgr in (("bare", False), ("bgr24", True)):
            done, wall, cpu = _decode(path, frames, to_bgr)
            row[mode] = {"fps": round(done / wall, 1), "cpu_s_per_frame": round(cpu / done, 6)}
        per_clip[Path(path).name] = row
    rows = list(per_clip.values())
    # All clips weigh the same: a stream mix cycles through them.
    return {
        "decode_ceiling_fps": round(len(rows) / sum(1.0 / r["bare"]["fps"] for r in rows), 1),
        "decode_cpu_s_per_frame": round(float(np.mean([r["bare"]["cpu_s_per_frame"] for r in rows])), 6),
        "decode_bgr_ceiling_fps": round(len(rows) / sum(1.0 / r["bgr24"]["fps"] for r in rows), 1),
        "decode_bgr_cpu_s_per_frame": round(float(np.mean([r["bgr24"]["cpu_s_per_frame"] for r in rows])), 6),
        "decode_per_clip": per_clip,
    }


def inference_ceiling(model: str, seconds: float, sample: str, threads: int) -> dict[str, object]:
    """Back-to-back ``session.run`` on one prepared input: no letterbox, no decode of outputs, no NMS."""
    settings = get_settings()
    config = DetectorConfig(model=model, threads=threads)
    resolved = resolve_model(model, settings.models_dir, settings.weights_dir, load_manifest(settings.manifest))
    session = create_session(resolved.path, config.threads, config.device)
    feed = {session.get_inputs()[0].name: _blob(sample, resolved.entry.input_size)}
    for _ in range(3):  # first runs allocate arenas
        session.run(None, feed)
    runs, wall, cpu = 0, time.perf_counter(), process_cpu_s()
    while time.perf_counter() - wall < seconds or runs < 5:
        session.run(None, feed)
        runs += 1
    wall, cpu = time.perf_counter() - wall, process_cpu_s() - cpu
    return {
        "model": model,
        "threads": config.threads,
        "inference_ceiling_per_s": round(runs / wall, 2),
        "infer_cpu_s_per_inference": round(cpu / runs, 6),
        "inference_ms": round(wall / runs * 1000.0, 2),
    }


BATCH_SIZES = (1, 2, 4, 8)


def _blob(sample: str, size: tuple[int, int]) -> np.ndarray:
    """The first frame of ``sample`` resized to the model input, NCHW float32 (no letterbox: timing only)."""
    with av.open(sample) as container:
        image = next(container.decode(video=0)).to_ndarray(format="bgr24")
    return cv2.resize(image, tuple(size)).transpose(2, 0, 1)[None].astype(np.float32)


def batch_costs(model: str, seconds: float, sample: str) -> dict[str, object]:
    """CPU and wall ms per image of one 1-thread session at batch 1, 2, 4, 8 (the model made dynamic-batch)."""
    settings = get_settings()
    resolved = resolve_model(model, settings.models_dir, settings.weights_dir, load_manifest(settings.manifest))
    graph = dynamic_batch_model(resolved.path)
    if graph is None:
        return {"note": "not measured: needs the onnx package and a graph whose batch can be freed"}
    session = create_session(resolved.path, 1, "cpu", graph)
    name, rows, blob = session.get_inputs()[0].name, {}, _blob(sample, resolved.entry.input_size)
    for size in BATCH_SIZES:
        feed = {name: np.repeat(blob, size, axis=0)}
        session.run(None, feed)
        runs, wall, cpu = 0, time.perf_counter(), process_cpu_s()
        while time.perf_counter() - wall < seconds / len(BATCH_SIZES) or runs < 3:
            session.run(None, feed)
            runs += 1
        wall, cpu = time.perf_counter() - wall, process_cpu_s() - cpu
        rows[str(size)] = {"cpu_ms_per_image": round(cpu / runs / size * 1000, 2),
                           "wall_ms_per_image": round(wall / runs / size * 1000, 2)}  # fmt: skip
    return {"threads": 1, "by_batch": rows}


def inference_ceilings(model: str, seconds: float, sample: str, threads: int) -> dict[str, object]:
    """The ceiling at the configured threads, plus 1 thread: ``limit_streams`` takes the cheaper CPU per run.

    One intra-op thread wastes no CPU on splitting a small model's layers (yolox_nano: ~10 ms CPU per run
    against ~15-30 ms at 2 threads); a pipeline that runs several sessions side by side can use that.
    """
    configured = inference_ceiling(model, seconds, sample, threads)
    by_threads = {str(threads): configured}
    if threads != 1:
        by_threads["1"] = inference_ceiling(model, seconds, sample, 1)
    cheapest = min(float(str(row["infer_cpu_s_per_inference"])) for row in by_threads.values())
    batch = batch_costs(model, seconds, sample)
    return {**configured, "by_threads": by_threads, "cheapest_infer_cpu_s_per_inference": cheapest, "batch": batch}


def measure(spec: CeilingSpec) -> dict[str, object]:
    """Decode ceilings, then ``inference``: one inference ceiling per model, by name."""
    sample = spec.sources[0]
    inference = {model: inference_ceilings(model, spec.inference_s, sample, spec.threads) for model in spec.models}
    return {**decode_ceiling(spec.sources, spec.decode_frames), "inference": inference}


if __name__ == "__main__":
    print(json.dumps(measure(CeilingSpec.model_validate_json(sys.argv[1]))))
