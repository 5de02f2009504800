"""One benchmark trial: N paced, looping 720p files through the real live runtime, measured from inside.

Run as its own process (``python -m gatewatch.bench.trial SPEC_JSON``) so peak RSS and CPU belong to the
trial alone; prints one JSON object on stdout. Nothing is measured during the warm-up (model load,
decoder start, the first keyframes); the window that follows is what the numbers describe.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import tracemalloc
from array import array
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pydantic import Field

from gatewatch.assets.models import load_detector, load_manifest
from gatewatch.bench.probe import (
    cpu_by_group,
    heap_growth,
    peak_rss_mb,
    process_cpu_s,
    rss_mb,
    rss_summary,
    thread_cpu_s,
)
from gatewatch.config.schema import GatewatchConfig
from gatewatch.config.settings import get_settings
from gatewatch.streams.camera_types import CapturedFrame
from gatewatch.streams.runtime import Runtime
from gatewatch.vision.analytics_config import DetectorConfig, StrictModel
from gatewatch.vision.analyzer import FrameAnalysis

WHOLE_FRAME = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]
# The rules a gate camera runs; cheap next to decode and inference, but part of the real per-frame path.
GATE_ZONE = {
    "id": "gate",
    "polygon": WHOLE_FRAME,
    "loitering": {"dwell_s": 20.0},
    "crowding": {"min_count": 8, "min_duration_s": 2.0},
}


class TrialSpec(StrictModel):
    sources: list[str] = Field(
        min_length=1, description="Prepared clips or RTSP URLs (detect role); stream i plays sources[i % len]."
    )
    view_sources: list[str] | None = Field(
        None, min_length=1, description="Main-stream URLs named as each camera's view_source (never decoded)."
    )
    streams: int = Field(ge=1, le=256, description="Cameras to run.")
    duration_s: float = Field(gt=0.0, le=7200.0, description="Measured window, after the warm-up.")
    warmup_s: float = Field(5.0, ge=0.0, le=120.0, description="Seconds run before the window opens.")
    model: str = Field("yolox_nano", min_length=1, description="Model name from the manifest.")
    detection_fps: float = Field(5.0, gt=0.0, le=60.0, description="Target detections per second per stream.")
    motion_gating: bool = Field(False, description="Give every camera the default motion gate.")
    threads: int = Field(DetectorConfig().threads, ge=1, le=64, description="ONNX Runtime intra-op threads.")
    workers: int = Field(DetectorConfig().workers, ge=1, le=16, description="Detector sessions run in parallel.")
    rss_interval_s: float = Field(5.0, gt=0.0, le=600.0, description="Seconds between RSS samples.")
    tracemalloc: bool = Field(
        False, description="Trace Python allocations and report the sites that grew over the window (slower)."
    )


@dataclass
class Recorder:
    """Per-camera counts and capture-to-analysis latencies, from the scheduler's analysis sink."""

    origin: float  # monotonic time just before the cameras start: camera clock 0 (conservative by ms)
    open_: bool = False
    live: bool = False  # RTSP sources: latency from decode, not from the camera clock
    detected: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    analysed: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    # 8 bytes a sample (array, not a list of floats): the harness must not be what grows in a 10-min run.
    latency_s: dict[str, array[float]] = field(default_factory=lambda: defaultdict(lambda: array("d")))

    def __call__(self, frame: CapturedFrame, analysis: FrameAnalysis, detected: bool) -> None:
        if not self.open_:
            return
        # A file's camera clock t_s is seconds since the worker started at which the frame was due to be captured,
        # so this latency includes any time the decoder fell behind the paced timeline, not only queueing.
        # An RTSP frame's media time follows the sender's RTP/RTCP clock, which jumps against ours when the
        # first sender report arrives (measured: up to 0.25 s ahead, i.e. negative latencies): it counts from
        # when its decoding finished instead.
        since = frame.captured_mono if self.live else self.origin + frame.t_s
        self.latency_s[frame.camera].append(time.monotonic() - since)
        self.analysed[frame.camera] += 1
        if detected:
            self.detected[frame.camera] += 1


def build_config(spec: TrialSpec) -> GatewatchConfig:
    cameras = []
    for i in range(spec.streams):
        camera = {
            "id": f"cam{i:02d}",
            "source": spec.sources[i % len(spec.sources)],
            "realtime": True,
            "loop": True,
            "zones": [GATE_ZONE],
            # One detector run per frame, as the committed capacity figures were measured: the crowding
            # zone would make 'auto' tile these 16:9 frames (about 2x the detector CPU, bench/README).
            "tiling": {"mode": "frame"},
        }
        if spec.view_sources:
            camera["view_source"] = spec.view_sources[i % len(spec.view_sources)]
        if spec.motion_gating:
            camera["motion"] = {}
        cameras.append(camera)
    return GatewatchConfig.model_validate(
        {
            "detector": {
                "model": spec.model,
                "detection_fps": spec.detection_fps,
                "threads": spec.threads,
                "workers": spec.workers,
            },
            "cameras": cameras,
        }
    )


def _counters(runtime: Runtime) -> dict[str, dict[str, Any]]:
    lanes = runtime.scheduler.stats()
    return {cam: {"frames_in": s.frames_in, "detected": s.detected, "dropped": dict(s.dropped),
                  "skipped_no_motion": lanes[cam].skipped_no_motion}
            for cam, s in runtime.status().items()}  # fmt: skip


def run_trial(spec: TrialSpec) -> dict[str, object]:
    settings = get_settings()
    config = build_config(spec)
    manifest = load_manifest(settings.manifest)
    detector = load_detector(config.detector, settings.models_dir, settings.weights_dir, manifest)
    events = [0]  # counted, not kept: the harness must not grow during a long run

    def count(_record: object) -> None:
        events[0] += 1

    recorder = Recorder(origin=0.0, live=spec.sources[0].startswith("rtsp://"))
    runtime = Runtime(config, detector, count, lambda change: None, on_analysis=recorder)
    rss: list[tuple[float, float]] = []
    if spec.tracemalloc:
        tracemalloc.start(1)
    recorder.origin = time.monotonic()  # the workers set their clock origin in start(), a few ms later
    runtime.start()
    try:
        time.sleep(spec.warmup_s)
        heap_before = tracemalloc.take_snapshot() if spec.tracemalloc else None
        before, threads_before, cpu_before = _counters(runtime), thread_cpu_s(), process_cpu_s()
        start = time.monotonic()
        recorder.open_ = True
        while (elapsed := time.monotonic() - start) < spec.duration_s:
            rss.append((elapsed, rss_mb()))
            time.sleep(min(spec.rss_interval_s, spec.duration_s - elapsed))
        recorder.open_ = False
        window_s = time.monotonic() - start
        cpu_s, after, threads_after = process_cpu_s() - cpu_before, _counters(runtime), thread_cpu_s()
        rss.append((window_s, rss_mb()))
        heap = heap_growth(heap_before, tracemalloc.take_snapshot()) if heap_before is not None else None
    finally:
        joined = runtime.stop()
    result = _summary(
        spec,
        recorder,
        window_s,
        cpu_s,
        before,
        after,
        cpu_by_group(threads_before, threads_after),
        rss,
        joined,
        events[0],
    )
    if heap is not None:
        result["python_heap"] = heap
    return result


def _summary(
    spec: TrialSpec,
    recorder: Recorder,
    window_s: float,
    cpu_s: float,
    before: dict[str, dict[str, Any]],
    after: dict[str, dict[str, Any]],
    cpu_groups: dict[str, float],
    rss: list[tuple[float, float]],
    joined: bool,
    events: int,
) -> dict[str, object]:
    per_stream: dict[str, dict[str, Any]] = {}
    for i, cam in enumerate(sorted(after)):
        lat = np.asarray(recorder.latency_s.get(cam, []))
        skipped = int(after[cam]["skipped_no_motion"]) - int(before[cam]["skipped_no_motion"])
        per_stream[cam] = {
            "source": os.path.basename(spec.sources[i % len(spec.sources)]),
            "decoded": int(after[cam]["frames_in"]) - int(before[cam]["frames_in"]),
            "analysed": recorder.analysed.get(cam, 0),
            "detected": recorder.detected.get(cam, 0),
            "detect_fps": round(recorder.detected.get(cam, 0) / window_s, 3),
            # Due frames decided: detected, or held back by the motion gate (on time, just not worth a run).
            "decided_fps": round((recorder.detected.get(cam, 0) + skipped) / window_s, 3),
            "latency_p95_s": round(float(np.percentile(lat, 95)), 4) if lat.size else None,
            "skipped_no_motion": skipped,
            "dropped": _delta(before[cam]["dropped"], after[cam]["dropped"]),
        }
    every = np.concatenate([np.asarray(v) for v in recorder.latency_s.values()]) if recorder.latency_s else np.zeros(0)
    return {
        "spec": spec.model_dump(),
        "window_s": round(window_s, 2),
        "process_cpu_s": round(cpu_s, 2),
        "cpu_by_thread_group_s": cpu_groups,
        "decoded_frames": sum(int(s["decoded"]) for s in per_stream.values()),
        "inferences": sum(int(s["detected"]) for s in per_stream.values()),
        "latency_p50_s": round(float(np.percentile(every, 50)), 4) if every.size else None,
        "latency_p95_s": round(float(np.percentile(every, 95)), 4) if every.size else None,
        "latency_max_s": round(float(every.max()), 4) if every.size else None,
        "events": events,
        "rss_mb": rss_summary(rss),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "threads_joined": joined,
        "per_stream": per_stream,
    }


def _delta(before: object, after: object) -> dict[str, int]:
    assert isinstance(before, dict) and isinstance(after, dict)
    return {k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0)}


def main(argv: list[str]) -> int:
    spec = TrialSpec.model_validate_json(argv[0])
    threading.current_thread().name = "main"
    print(json.dumps(run_trial(spec)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
