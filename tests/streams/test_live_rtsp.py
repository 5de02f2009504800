"""Live runtime against a real RTSP server: frames flow, counters rise, events fire as on the file path."""

from __future__ import annotations

import json
import random
import select
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from gatewatch.config.schema import GatewatchConfig
from gatewatch.streams.buffer import FrameSlot
from gatewatch.streams.camera import CameraWorker
from gatewatch.streams.camera_config import CameraConfig
from gatewatch.streams.camera_types import CameraState, CapturedFrame, StateChange
from gatewatch.streams.runtime import Runtime
from gatewatch.vision.detector import Detector
from gatewatch.vision.types import EventRecord
from tests.rtsp_server import RtspServer, wait_until

WHOLE_FRAME = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]
# vtest.avi has 3-9 people walking at any time: 3 for a second is crowded at once.
CROWDING_ZONE = {"id": "junction", "polygon": WHOLE_FRAME, "crowding": {"min_count": 3, "min_duration_s": 1.0}}


def test_rtsp_frames_flow_and_events_fire_as_from_the_file(
    server: RtspServer, samples_dir: Path, detector: Detector
) -> None:
    config = GatewatchConfig.model_validate(
        {
            "detector": {"detection_fps": 5},
            "cameras": [
                {"id": "rtsp", "source": server.url, "zones": [CROWDING_ZONE]},
                {"id": "file", "source": str(samples_dir / "vtest.avi"), "zones": [CROWDING_ZONE]},
            ],
        }
    )
    events: list[EventRecord] = []
    states: list[StateChange] = []
    runtime = Runtime(config, detector, events.append, states.append)
    runtime.start()
    try:
        wait_until(
            lambda: {(e.camera, e.lifecycle) for e in events} >= {("rtsp", "new"), ("file", "new")},
            15.0,
            "a crowding event from both the RTSP and the file camera",
        )
        wait_until(lambda: runtime.status()["rtsp"].frames_in >= 30, 5.0, "3 s of RTSP frames")
        status = runtime.status()
    finally:
        assert runtime.stop(), "a thread did not end"
    final = runtime.status()

    rtsp = status["rtsp"]
    assert rtsp.state is CameraState.RUNNING
    assert rtsp.frames_in >= 30 and rtsp.detected >= 5
    assert rtsp.fps == pytest.approx(10.0, rel=0.25)  # the server paces the 10 fps clip
    for cam in final.values():
        # Every frame is accounted for: detected, tracked forward (not due), or dropped by a named reason.
        assert set(cam.dropped) <= {"superseded", "stale", "discarded"}
        assert cam.frames_in == cam.detected + cam.coasted + sum(cam.dropped.values())
    assert rtsp.reconnects == 0 and rtsp.last_error is None
    assert rtsp.latency_ms_p50 is not None and rtsp.latency_ms_p50 < 1000.0  # 2 shared cores, loaded
    first = {cam: next(e for e in events if e.camera == cam and e.lifecycle == "new") for cam in ("rtsp", "file")}
    for event in first.values():
        assert event.type == "crowding" and event.zone == "junction" and event.detail["count"] >= 3
    # Camera clocks start with their workers; both streams start at the clip's start, so both events
    # start at about the same camera time (RTSP adds its open and probe time).
    assert abs(first["rtsp"].start_s - first["file"].start_s) < 3.0
    ends = [e for e in events if e.lifecycle == "end"]
    assert {e.camera for e in ends} == {"rtsp", "file"}
    assert all(e.detail["end_reason"] == "shutdown" for e in ends)
    assert [s.state for s in states if s.camera == "rtsp"] == [
        CameraState.CONNECTING,
        CameraState.RUNNING,
        CameraState.STOPPED,
    ]


def test_udp_transport_and_latest_frame_wins(server: RtspServer) -> None:
    slot: FrameSlot[CapturedFrame] = FrameSlot(capacity=1)
    states: list[StateChange] = []
    camera = CameraConfig(id="udp", source=server.url, rtsp_transport="udp")
    worker = CameraWorker(camera, slot, states.append, random.Random(0))
    worker.start()
    try:
        wait_until(lambda: worker.stats().frames_in >= 15, 8.0, "15 frames over RTP/UDP")
    finally:
        worker.stop()
        assert worker.join(5.0)
    stats = worker.stats()
    # Nobody consumed: every frame but the last was superseded, and the stop discarded the last one.
    assert stats.dropped == {"superseded": stats.frames_in - 1, "discarded": 1}
    assert stats.state is CameraState.STOPPED and stats.last_error is None
    assert [s.state for s in states] == [CameraState.CONNECTING, CameraState.RUNNING, CameraState.STOPPED]


def test_gatewatch_run_logs_events_and_stops_on_sigterm(server: RtspServer, tmp_path: Path) -> None:
    config = tmp_path / "live.yaml"
    config.write_text(
        json.dumps({"cameras": [{"id": "gate", "source": server.url, "zones": [CROWDING_ZONE]}]}),  # JSON is YAML
        encoding="utf-8",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "gatewatch.cli", "run", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], 30.0)
        assert ready, "no event line within 30 s"
        event = json.loads(proc.stdout.readline())
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert event["camera"] == "gate" and event["type"] == "crowding" and event["lifecycle"] == "new"
    # The open event is ended on the way out, with the reason.
    last = json.loads(out.strip().splitlines()[-1])
    assert last["id"] == event["id"] and last["lifecycle"] == "end" and last["detail"]["end_reason"] == "shutdown"
    lines = [json.loads(line) for line in err.strip().splitlines()]
    assert [(s["state"], s["previous"]) for s in lines if "state" in s][:2] == [
        ("connecting", "stopped"),
        ("running", "connecting"),
    ]
    (status,) = [s["status"] for s in lines if "status" in s]
    assert status["camera"] == "gate" and status["state"] == "stopped" and status["frames_in"] > 0
