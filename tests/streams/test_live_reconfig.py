"""Live reconfiguration of a running Runtime on paced, looping sample clips: zones, cameras, metrics."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY

from gatewatch.config.schema import GatewatchConfig
from gatewatch.streams.camera_types import CameraState, CapturedFrame, StateChange
from gatewatch.streams.runtime import Runtime
from gatewatch.vision.analyzer import FrameAnalysis
from gatewatch.vision.detector import Detector
from gatewatch.vision.types import EventRecord
from tests.rtsp_server import wait_until

WHOLE_FRAME = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]
LEFT_HALF = [[0.0, 0.0], [0.5, 0.0], [0.5, 1.0], [0.0, 1.0]]


def crowding_zone(zone_id: str, min_count: int, polygon: list[list[float]] = WHOLE_FRAME) -> dict[str, Any]:
    # vtest.avi shows 3-9 people at any time: min_count 3 fires within a second, 100 never does.
    return {"id": zone_id, "polygon": polygon, "crowding": {"min_count": min_count, "min_duration_s": 0.5}}


def camera(samples_dir: Path, cam_id: str, zones: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"id": cam_id, "source": str(samples_dir / "vtest.avi"), "loop": True, "zones": zones, **extra}


def config(*cameras: dict[str, Any]) -> GatewatchConfig:
    return GatewatchConfig.model_validate({"detector": {"detection_fps": 5}, "cameras": list(cameras)})


class Recorder:
    """The runtime's three sinks, recording from the scheduler and camera threads."""

    def __init__(self) -> None:
        self.events: list[EventRecord] = []
        self.states: list[StateChange] = []
        self.analyses: list[tuple[str, FrameAnalysis]] = []
        self.lock = threading.Lock()

    def on_event(self, record: EventRecord) -> None:
        with self.lock:
            self.events.append(record)

    def on_analysis(self, frame: CapturedFrame, analysis: FrameAnalysis, detected: bool) -> None:
        with self.lock:
            self.analyses.append((frame.camera, analysis))

    def find(self, **match: Any) -> list[EventRecord]:
        with self.lock:
            return [e for e in self.events if all(getattr(e, k) == v for k, v in match.items())]

    def analysed(self, cam: str) -> int:
        with self.lock:
            return sum(1 for c, _ in self.analyses if c == cam)


def metric(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


def count(name: str, **labels: str) -> float:
    """A counter's value; 0 while its series does not exist yet."""
    return metric(name, **labels) or 0.0


def start(cfg: GatewatchConfig, detector: Detector, rec: Recorder) -> Runtime:
    runtime = Runtime(cfg, detector, rec.on_event, rec.states.append, rec.on_analysis)
    runtime.start()
    return runtime


def test_zone_change_applies_from_the_next_frames_and_keeps_unchanged_zones(
    samples_dir: Path, detector: Detector
) -> None:
    rec = Recorder()
    before = config(camera(samples_dir, "rc-zones", [crowding_zone("stay", 3), crowding_zone("tuned", 100)]))
    runtime = start(before, detector, rec)
    try:
        wait_until(lambda: rec.find(zone="stay", lifecycle="new"), 10.0, "crowding in the unchanged zone")
        assert not rec.find(zone="tuned"), "min_count 100 cannot fire on vtest.avi"
        tracks_before = {int(t) for _, a in rec.analyses[-3:] for t in a.detections.tracker_id if t >= 0}
        seen = rec.analysed("rc-zones")

        after = config(
            camera(
                samples_dir,
                "rc-zones",
                [crowding_zone("stay", 3), crowding_zone("tuned", 3), crowding_zone("left", 1, LEFT_HALF)],
            )
        )
        applied = runtime.apply(after)
        assert applied.reconfigured == ["rc-zones"] and not applied.restarted
        # The very next analysed frame is judged by the new zones.
        wait_until(lambda: rec.analysed("rc-zones") > seen, 2.0, "a frame after the change")
        with rec.lock:
            first_after = rec.analyses[seen][1]
        assert set(first_after.zone_counts) == {"stay", "tuned", "left"}
        took = wait_until(lambda: rec.find(zone="tuned", lifecycle="new"), 5.0, "the lowered threshold firing")
        assert took < 3.0
        # The tracker survived: ids from before the change continue after it.
        with rec.lock:
            tracks_after = {int(t) for _, a in rec.analyses[seen : seen + 5] for t in a.detections.tracker_id}
        assert tracks_before & tracks_after

        tuned_event = rec.find(zone="tuned", lifecycle="new")[0]
        runtime.apply(config(camera(samples_dir, "rc-zones", [crowding_zone("stay", 3)])))
        (ended,) = rec.find(zone="tuned", lifecycle="end")
        assert ended.id == tuned_event.id and ended.detail["end_reason"] == "config_change"
        assert not rec.find(zone="stay", lifecycle="end"), "an unchanged zone keeps its open event"
    finally:
        assert runtime.stop()
    (stay_end,) = rec.find(zone="stay", lifecycle="end")
    assert stay_end.detail["end_reason"] == "shutdown"


def test_invalid_change_is_refused_and_leaves_the_runtime_running(samples_dir: Path, detector: Detector) -> None:
    rec = Recorder()
    cfg = config(camera(samples_dir, "rc-invalid", [crowding_zone("all", 100)]))
    runtime = start(cfg, detector, rec)
    try:
        bad = {"id": "gun", "polygon": WHOLE_FRAME, "weapon": {"classes": ["bazooka"]}}
        with pytest.raises(ValueError, match=r"cameras\.rc-invalid\.zones\.gun\.weapon\.classes"):
            runtime.apply(config(camera(samples_dir, "rc-invalid", [bad])))
        assert runtime.config is cfg
        seen = rec.analysed("rc-invalid")
        wait_until(lambda: rec.analysed("rc-invalid") > seen + 5, 5.0, "frames still analysed")
        with rec.lock:
            assert set(rec.analyses[-1][1].zone_counts) == {"all"}
    finally:
        assert runtime.stop()


def test_cameras_added_restarted_and_removed_live_with_their_threads_and_metrics(
    samples_dir: Path, detector: Detector
) -> None:
    rec = Recorder()
    one = camera(samples_dir, "rc-one", [crowding_zone("all", 3)])
    runtime = start(config(one), detector, rec)
    polls, failures, done = [0], [], threading.Event()

    def poll_status() -> None:  # status stays readable from another thread while cameras come and go
        while not done.is_set():
            try:
                runtime.status()
                polls[0] += 1
            except Exception as exc:
                failures.append(exc)
            time.sleep(0.001)

    poller = threading.Thread(target=poll_status)
    poller.start()
    try:
        wait_until(lambda: rec.find(camera="rc-one", lifecycle="new"), 10.0, "an event on the first camera")
        two = camera(samples_dir, "rc-two", [crowding_zone("all", 100)])
        assert runtime.apply(config(one, two)).added == ["rc-two"]
        wait_until(lambda: runtime.status()["rc-two"].frames_in >= 10, 5.0, "frames from the added camera")
        wait_until(lambda: metric("gatewatch_camera_up", camera="rc-two") == 1.0, 2.0, "camera up")
        assert count("gatewatch_frames_in_total", camera="rc-two") >= 10
        wait_until(
            lambda: count("gatewatch_frames_processed_total", camera="rc-two", kind="detected") > 0,
            3.0,
            "detected frames counted",
        )
        assert count("gatewatch_detect_batch_size_count") > 0
        assert count("gatewatch_frame_stage_seconds_count", camera="rc-two", stage="end_to_end") > 0

        old_worker = next(w for w in runtime.workers if w.camera_id == "rc-two")
        applied = runtime.apply(config(one, {**two, "read_timeout_s": 4.0}))
        assert applied.restarted == ["rc-two"] and applied.joined
        assert not old_worker._thread.is_alive()
        new_frames = runtime.status()["rc-two"].frames_in
        wait_until(lambda: runtime.status()["rc-two"].frames_in > new_frames + 5, 5.0, "the restarted camera")

        # The motion gate is analytics only: switching it on and tuning it keeps the stream open.
        worker = next(w for w in runtime.workers if w.camera_id == "rc-two")
        gated = {**two, "read_timeout_s": 4.0, "motion": {"min_changed": 0.01}}
        applied = runtime.apply(config(one, gated))
        assert applied.reconfigured == ["rc-two"] and applied.restarted == []
        gate = runtime.scheduler.lane("rc-two").motion
        assert gate is not None and gate.config.min_changed == 0.01
        applied = runtime.apply(config(one, {**gated, "name": "Two"}))  # gate unchanged: the same object
        assert applied.reconfigured == ["rc-two"] and runtime.scheduler.lane("rc-two").motion is gate
        assert worker._thread.is_alive() and next(w for w in runtime.workers if w.camera_id == "rc-two") is worker

        one_event = rec.find(camera="rc-one", lifecycle="new")[0]
        applied = runtime.apply(config(runtime.config.cameras[1].model_dump()))
        assert applied.removed == ["rc-one"] and applied.joined
        assert set(runtime.status()) == {"rc-two"}
        assert "camera-rc-one" not in {t.name for t in threading.enumerate()}
        (ended,) = rec.find(camera="rc-one", lifecycle="end")
        assert ended.id == one_event.id and ended.detail["end_reason"] == "camera_removed"
        assert metric("gatewatch_frames_in_total", camera="rc-one") is None  # series removed with the camera
        stopped = [s for s in rec.states if s.camera == "rc-one"]
        assert stopped[-1].state is CameraState.STOPPED
        frames = runtime.status()["rc-two"].frames_in
        wait_until(lambda: runtime.status()["rc-two"].frames_in > frames + 5, 5.0, "the other camera unaffected")
    finally:
        done.set()
        poller.join()
        assert runtime.stop()
    assert not failures and polls[0] > 100


def test_removing_a_camera_stuck_opening_a_dead_source_does_not_hang_the_change(
    samples_dir: Path, detector: Detector
) -> None:
    # A server that accepts the TCP connection and never answers: FFmpeg waits for open_timeout_s.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        dead = {"id": "rc-dead", "source": f"rtsp://127.0.0.1:{silent.getsockname()[1]}/x", "open_timeout_s": 60}
        rec = Recorder()
        live = camera(samples_dir, "rc-live", [crowding_zone("all", 100)])
        runtime = start(config(live, dead), detector, rec)
        runtime.remove_wait_s = 1.0
        try:
            wait_until(lambda: runtime.status()["rc-live"].frames_in > 0, 5.0, "frames from the live camera")
            started = time.monotonic()
            applied = runtime.apply(config(live))
            assert time.monotonic() - started < 3.0
            assert applied.removed == ["rc-dead"] and not applied.joined  # still inside FFmpeg's open
            assert set(runtime.status()) == {"rc-live"}
        finally:
            silent.close()  # the blocked open fails now, so stop() can join the detached thread too
            assert runtime.stop()
    assert "camera-rc-dead" not in {t.name for t in threading.enumerate()}
