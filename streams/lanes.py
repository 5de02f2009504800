"""The scheduler's view of one camera: its slot, analyzer, detection schedule and counters."""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field

from gatewatch.streams import pipeline_metrics
from gatewatch.streams.buffer import FrameSlot
from gatewatch.streams.camera_types import CapturedFrame
from gatewatch.streams.detection_schedule import DetectionSchedule
from gatewatch.vision.analyzer import CameraAnalyzer
from gatewatch.vision.motion import MotionGate
from gatewatch.vision.types import FrameMeta

LATENCY_WINDOW = 256


@dataclass
class Lane:
    """One camera as the scheduler sees it. Only the scheduler thread touches the analyzer."""

    camera_id: str
    slot: FrameSlot[CapturedFrame]
    analyzer: CameraAnalyzer
    schedule: DetectionSchedule
    session: int = -1
    last_meta: FrameMeta | None = None
    detected: int = 0
    coasted: int = 0  # not due for detection: tracked forward only
    events: int = 0
    dropped: Counter[str] = field(default_factory=Counter)  # lost here, by reason (detector_error)
    latency_ms: deque[float] = field(default_factory=lambda: deque(maxlen=LATENCY_WINDOW))
    motion: MotionGate | None = None  # camera.motion set: due frames without motion are coasted
    skipped_no_motion: int = 0  # due frames the motion gate kept from the detector (also counted as coasted)

    def __post_init__(self) -> None:
        # Metric children resolved once per lane, not per frame.
        cam = self.camera_id
        self.m_processed = {k: pipeline_metrics.FRAMES_PROCESSED.labels(cam, k) for k in ("detected", "coasted")}
        self.m_stage = {
            s: pipeline_metrics.FRAME_STAGE_SECONDS.labels(cam, s) for s in ("queue", "analysis", "end_to_end")
        }
        self.m_detector_error = pipeline_metrics.FRAMES_DROPPED.labels(cam, "detector_error")


@dataclass(frozen=True, slots=True)
class LaneStats:
    detected: int = 0
    coasted: int = 0
    events: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    latency_ms_p50: float | None = None  # decode finished -> analysis done, over the last frames
    latency_ms_max: float | None = None
    skipped_no_motion: int = 0


def lane_stats(lane: Lane) -> LaneStats:
    latency = sorted(lane.latency_ms)
    return LaneStats(
        detected=lane.detected,
        coasted=lane.coasted,
        events=lane.events,
        dropped=dict(lane.dropped),
        latency_ms_p50=latency[len(latency) // 2] if latency else None,
        latency_ms_max=latency[-1] if latency else None,
        skipped_no_motion=lane.skipped_no_motion,
    )
