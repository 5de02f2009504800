"""The peer system for ``gatewatch bench``: Ultralytics ``YOLO(...).predict`` over the same N paced streams.

Runs in the peer venv (``.venv-peer``: ultralytics, onnxruntime, av), never in gatewatch's: the two
must not share a process, a model loader or a package. Prints one JSON object on stdout.

The sources are the same prepared 720p25 files gatewatch gets, delivered the same way: one thread per
stream decodes every frame with PyAV (BGR, as OpenCV and Ultralytics expect), paced at the file's
timestamps, looping, keeping only the newest frame. The main thread sends each stream's newest frame
to ``predict(frames, stream=True)`` whenever its next 1/fps tick has come, all due streams in one call,
which is what the Ultralytics docs show for several sources at once. Why not ``predict("list.streams")``:
its ``LoadStreams`` reads local files as fast as they decode instead of at their frame rate, which
would burn CPU on frames no camera would have sent.

    .venv-peer/bin/python bench/peer_ultralytics.py SPEC_JSON
    SPEC: {"sources": [...], "streams": N, "duration_s": 30, "warmup_s": 5, "model_path": "...onnx",
           "detection_fps": 5, "confidence": 0.3, "nms_iou": 0.45}
"""

from __future__ import annotations

import json
import math
import os
import resource
import sys
import threading
import time
from typing import Any

os.environ.setdefault("YOLO_OFFLINE", "1")  # no update checks or pip installs during a timed run

import av
import numpy as np
from ultralytics import YOLO


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class PacedStream(threading.Thread):
    """Decode a file at its own pace, forever; ``latest`` = (image, capture time, sequence number)."""

    def __init__(self, path: str, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.path, self.stop = path, stop
        self.latest: tuple[np.ndarray, float, int] | None = None
        self.decoded = 0

    def run(self) -> None:
        while not self.stop.is_set():
            with av.open(self.path) as container:
                stream = container.streams.video[0]
                stream.thread_type = "AUTO"  # as gatewatch's camera threads decode
                start, first = time.monotonic(), None
                for frame in container.decode(stream):
                    first = frame.time if first is None else first
                    due = start + (frame.time - first)
                    if self.stop.wait(max(0.0, due - time.monotonic())):
                        return
                    self.latest = (frame.to_ndarray(format="bgr24"), due, self.decoded)
                    self.decoded += 1


def run(spec: dict[str, Any]) -> dict[str, Any]:
    model = YOLO(spec["model_path"], task="detect")
    n, period = spec["streams"], 1.0 / spec["detection_fps"]
    sources = spec["sources"]
    stop = threading.Event()
    streams = [PacedStream(sources[i % len(sources)], stop) for i in range(n)]
    predict = {"stream": True, "verbose": False, "conf": spec.get("confidence", 0.3), "iou": spec.get("nms_iou", 0.45)}
    warm = np.zeros((720, 1280, 3), np.uint8)
    list(model.predict([warm], **predict))  # the first call builds the predictor and ORT session
    for stream in streams:
        stream.start()
    origin = time.monotonic()
    next_tick = [origin] * n
    last_seq = [-1] * n
    detected, latency = [0] * n, [list[float]() for _ in range(n)]
    window_open = origin + spec["warmup_s"]
    window_end = window_open + spec["duration_s"]
    cpu0: float | None = None
    decoded0: list[int] | None = None
    while (now := time.monotonic()) < window_end:
        if cpu0 is None and now >= window_open:
            cpu0, decoded0, window_open = cpu_s(), [s.decoded for s in streams], now
        due = []
        for i, stream in enumerate(streams):
            latest = stream.latest
            if latest is not None and latest[2] != last_seq[i] and latest[1] + 1e-3 >= next_tick[i]:
                last_seq[i] = latest[2]
                # Next tick on the fixed grid after this frame: missed ticks are skipped, not caught up.
                next_tick[i] = origin + (math.floor((latest[1] + 1e-3 - origin) / period) + 1) * period
                due.append((i, latest))
        if not due:
            time.sleep(0.002)
            continue
        results = model.predict([image for _, (image, _, _) in due], **predict)
        for (i, (_, captured, _)), result in zip(due, results):
            _ = result.boxes.xyxy.numpy()  # the boxes a caller would read
            if cpu0 is not None:
                detected[i] += 1
                latency[i].append(time.monotonic() - captured)
    window_s = time.monotonic() - window_open
    assert cpu0 is not None and decoded0 is not None  # the loop runs past window_open before window_end
    cpu = cpu_s() - cpu0
    decoded = [s.decoded - d for s, d in zip(streams, decoded0)]
    stop.set()
    every = np.concatenate([np.asarray(x) for x in latency if x]) if any(latency) else np.zeros(0)
    return {
        "system": "ultralytics",
        "window_s": round(window_s, 2),
        "process_cpu_s": round(cpu, 2),
        "decoded_frames": sum(decoded),
        "inferences": sum(detected),
        "latency_p50_s": round(float(np.percentile(every, 50)), 4) if every.size else None,
        "latency_p95_s": round(float(np.percentile(every, 95)), 4) if every.size else None,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "per_stream": {
            f"cam{i:02d}": {
                "source": os.path.basename(sources[i % len(sources)]),
                "decoded": decoded[i],
                "detected": detected[i],
                "detect_fps": round(detected[i] / window_s, 3),
                "latency_p95_s": round(float(np.percentile(latency[i], 95)), 4) if latency[i] else None,
            }
            for i in range(n)
        },
    }


if __name__ == "__main__":
    print(json.dumps(run(json.loads(sys.argv[1]))))
