"""Motion gating on real footage: still scenes skip the detector, moving ones never do, events still fire."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from gatewatch.clips.contracts import CONTRACTS_DIR, ClipContract, contract_problems
from gatewatch.config.file import load_config
from gatewatch.config.schema import GatewatchConfig
from gatewatch.streams.camera_config import CameraConfig
from gatewatch.streams.decode import VideoReader
from gatewatch.streams.detection_schedule import DetectionSchedule
from gatewatch.streams.runtime import Runtime
from gatewatch.vision.analytics_config import Polygon
from gatewatch.vision.analyzer import CameraAnalyzer
from gatewatch.vision.detector import Detector
from gatewatch.vision.motion import MotionGate, MotionGateConfig
from gatewatch.vision.types import EventRecord, FrameMeta
from tests.rtsp_server import wait_until

WHOLE = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]
LEFT_HALF = [(0.0, 0.0), (0.5, 0.0), (0.5, 1.0), (0.0, 1.0)]


def gated_frames(
    clip: Path, config: MotionGateConfig, zones: list[Polygon], fps: float = 5.0
) -> list[tuple[float, bool]]:
    """(media time, detected?) for every frame due at ``fps``, as the scheduler asks the gate."""
    gate, schedule, out = MotionGate(config), DetectionSchedule(fps), []
    with VideoReader(str(clip)) as reader:
        for frame in reader.frames():
            if schedule.due(frame.t_s):
                out.append((frame.t_s, gate.should_detect(frame.image, frame.t_s, 0, zones, [])))
    return out


def test_still_stretches_skip_the_detector_but_never_longer_than_max_skip(samples_dir: Path) -> None:
    # People come to the table one at a time; between them the room is still.
    config = MotionGateConfig(max_skip_s=2.0)
    decided = gated_frames(samples_dir / "one-by-one-person-detection.mp4", config, [WHOLE])
    detected_at = [t for t, detected in decided if detected]
    assert decided[0][1], "the first frame is always detected"
    assert len(decided) - len(detected_at) > 0.3 * len(decided), "a mostly still clip skips many detections"
    assert max(np.diff(detected_at)) <= config.max_skip_s + 0.2 + 1e-6, "a detection at least every max_skip_s"


def test_a_busy_scene_is_never_gated(samples_dir: Path) -> None:
    decided = gated_frames(samples_dir / "vtest.avi", MotionGateConfig(), [WHOLE])
    assert all(detected for _, detected in decided)


def test_only_motion_inside_the_zones_counts(samples_dir: Path) -> None:
    with VideoReader(str(samples_dir / "vtest.avi")) as reader:
        still = next(reader.frames()).image
    moved = still.copy()
    moved[:, -moved.shape[1] // 3 :] = 255 - moved[:, -moved.shape[1] // 3 :]  # change the right third only
    config = MotionGateConfig(max_skip_s=60.0)
    for zones, expected in (([LEFT_HALF], False), ([WHOLE], True), ([], True)):
        gate = MotionGate(config)
        assert gate.should_detect(still, 0.0, 0, zones, [])
        assert not gate.should_detect(still, 0.2, 0, zones, []), "an unchanged frame is not detected"
        assert gate.should_detect(moved, 0.4, 0, zones, []) is expected, zones
        assert gate.should_detect(moved, 0.6, 0, zones, [], busy=True), "a camera that tracks something detects"
    gate = MotionGate(config)
    gate.should_detect(still, 0.0, 0, [WHOLE], [])
    assert not gate.should_detect(moved, 0.2, 0, [WHOLE], [[(0.5, 0.0), (1.0, 0.0), (1.0, 1.0), (0.5, 1.0)]]), (
        "motion under a mask does not count"
    )


def test_a_new_timeline_or_a_gap_is_always_detected(samples_dir: Path) -> None:
    with VideoReader(str(samples_dir / "vtest.avi")) as reader:
        still = next(reader.frames()).image
    gate = MotionGate(MotionGateConfig(max_skip_s=60.0))
    assert gate.should_detect(still, 0.0, 0, [WHOLE], [])
    assert not gate.should_detect(still, 0.2, 0, [WHOLE], [])
    assert gate.should_detect(still, 0.4, 1, [WHOLE], []), "a reconnect or loop starts a new timeline"
    assert not gate.should_detect(still, 0.6, 1, [WHOLE], [])
    assert gate.should_detect(still, 5.0, 1, [WHOLE], []), "frames after a gap"


def test_config_is_bounded_and_strict() -> None:
    with pytest.raises(ValidationError, match=r"motion\.min_changed"):
        CameraConfig(id="cam", source="x.mp4", motion={"min_changed": 2})
    with pytest.raises(ValidationError, match=r"motion\.threshold"):
        CameraConfig(id="cam", source="x.mp4", motion={"threshold": 0.1})
    assert CameraConfig(id="cam", source="x.mp4", motion={}).motion == MotionGateConfig()


@pytest.mark.slow
def test_weapon_event_still_fires_on_the_bottle_clip_with_gating(samples_dir: Path, detector: Detector) -> None:
    path = CONTRACTS_DIR / "bottle-detection.yaml"
    contract = ClipContract.model_validate_json(path.with_name("bottle-detection.expected.json").read_text())
    camera = load_config(path).cameras[0]
    analyzer = CameraAnalyzer(camera.id, camera.zones, camera.masks, detector.class_names,
                              GatewatchConfig(cameras=[camera]).tracker, {})  # fmt: skip
    gate, schedule = MotionGate(MotionGateConfig()), DetectionSchedule(5.0)
    events: list[EventRecord] = []
    skipped = 0
    zones = [zone.polygon for zone in camera.zones]
    with VideoReader(str(samples_dir / contract.clip)) as reader:
        for frame in reader.frames():
            height, width = frame.image.shape[:2]
            meta = FrameMeta(frame.t_s, contract.start_time + dt.timedelta(seconds=frame.t_s), width, height,
                             frame.index)  # fmt: skip
            due = schedule.due(frame.t_s)
            if due and not gate.should_detect(frame.image, frame.t_s, 0, zones, camera.masks, analyzer.tracking()):
                due, skipped = False, skipped + 1
            analysis = analyzer.update(detector.detect(frame.image), meta) if due else analyzer.coast(meta)
            events.extend(analysis.events)
        events.extend(analyzer.close(meta))
    assert skipped > 0, "before the bottles are seen and after they are gone, still frames are skipped"
    assert contract_problems(contract, [e.to_json() for e in events]) == []


def test_scheduler_counts_frames_the_gate_kept_from_the_detector(samples_dir: Path, detector: Detector) -> None:
    config = GatewatchConfig.model_validate({"cameras": [{
        # Paced, as a camera delivers it: the room is empty for the first seconds.
        "id": "table", "source": str(samples_dir / "one-by-one-person-detection.mp4"), "motion": {},
        "zones": [{"id": "all", "polygon": WHOLE, "loitering": {"dwell_s": 30}}],
    }]})  # fmt: skip
    runtime = Runtime(config, detector, lambda record: None, lambda change: None)
    runtime.start()
    try:
        wait_until(lambda: runtime.scheduler.stats()["table"].skipped_no_motion >= 5, 10.0, "5 frames gated")
    finally:
        assert runtime.stop()
    lane = runtime.scheduler.stats()["table"]
    assert lane.detected >= 1 and lane.coasted >= lane.skipped_no_motion >= 5
