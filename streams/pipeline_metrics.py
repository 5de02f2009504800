"""Prometheus metrics of the live pipeline, defined once here and counted where the work happens.

They live in prometheus_client's default registry, which ``GET /metrics`` exposes. Counting at the
source (the camera thread counts a decoded frame, the slot a dropped one, the scheduler an analysed
one) keeps the numbers exact and cheap: no periodic copying from status dicts.
Label values are camera ids from the validated config (bounded by the config, so no cardinality blow-up);
``forget_camera`` removes a removed camera's series so they do not report stale values forever.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

# Seconds: frame stages run from ~1 ms (coasting) to seconds on an overloaded CPU.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

FRAMES_IN = Counter("gatewatch_frames_in", "Frames decoded by a camera worker.", ["camera"])
FRAMES_PROCESSED = Counter(
    "gatewatch_frames_processed",
    "Frames analysed by the scheduler: kind=detected (sent to the model) or coasted (tracked forward only).",
    ["camera", "kind"],
)
FRAMES_DROPPED = Counter(
    "gatewatch_frames_dropped",
    "Frames that never reached the analytics, by reason (superseded, rejected, stale, discarded, detector_error).",
    ["camera", "reason"],
)
FRAME_STAGE_SECONDS = Histogram(
    "gatewatch_frame_stage_seconds",
    "Per-frame latency by stage: queue = decoded until taken by the scheduler, analysis = tracker+zones+rules, "
    "end_to_end = decoded until analysis done.",
    ["camera", "stage"],
    buckets=LATENCY_BUCKETS,
)
DETECT_SECONDS = Histogram(
    "gatewatch_detect_seconds",
    "Duration of one detector batch call (all cameras due in a round).",
    buckets=LATENCY_BUCKETS,
)
DETECT_BATCH_SIZE = Histogram(
    "gatewatch_detect_batch_size", "Frames per detector batch call.", buckets=(1, 2, 3, 4, 6, 8, 12, 16, 24, 32)
)
CAMERA_CLOCK_JUMPS = Counter(
    "gatewatch_camera_clock_jumps",
    "Jumps of a camera's media timestamps (RTCP re-basing, encoder or stream restart) re-anchored by the frame clock.",
    ["camera"],
)
CAMERA_UP = Gauge("gatewatch_camera_up", "1 while the camera delivers frames (state running), else 0.", ["camera"])

_PER_CAMERA = (FRAMES_IN, FRAMES_PROCESSED, FRAMES_DROPPED, FRAME_STAGE_SECONDS, CAMERA_CLOCK_JUMPS, CAMERA_UP)


def forget_camera(camera: str) -> None:
    """Remove every labelled series of ``camera`` (it was removed from the running config)."""
    for metric in _PER_CAMERA:
        metric.remove_by_labels({"camera": camera})  # prometheus_client >= 0.23
