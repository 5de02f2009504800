"""Camera faults against real servers on loopback: the camera says what is wrong, never crashes or leaks."""

from __future__ import annotations

import functools
import os
import random
import subprocess
import threading
from collections.abc import Iterator
from http.server import HTTPServer, SimpleHTTPRequestHandler
from pathlib import Path

import pytest

from gatewatch.config.schema import GatewatchConfig
from gatewatch.streams.buffer import FrameSlot
from gatewatch.streams.camera import CameraWorker
from gatewatch.streams.camera_config import CameraConfig
from gatewatch.streams.camera_types import CameraState, StateChange
from gatewatch.streams.runtime import Runtime
from gatewatch.streams.watchdog import Watchdog
from gatewatch.vision.detector import Detector
from tests.rtsp_server import RtspServer, free_port, wait_until

# Short timeouts and backoff keep a fault test to seconds; the defaults are for real networks.
FAST = {
    "open_timeout_s": 2.0,
    "read_timeout_s": 1.5,
    "stall_after_s": 0.5,
    "reconnect_min_s": 0.1,
    "reconnect_max_s": 0.5,
}


@pytest.fixture(scope="module")
def text_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An HTTP server on loopback that answers with plain text, not video."""
    root = tmp_path_factory.mktemp("http")
    (root / "status.txt").write_text("camera OK\n" * 50)

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    # Not ThreadingHTTPServer: a thread per request would blur the thread counts the tests compare.
    httpd = HTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/status.txt"
    httpd.shutdown()
    thread.join()
    httpd.server_close()


def start_worker(source: str, states: list[StateChange], **config: object) -> CameraWorker:
    camera = CameraConfig.model_validate({"id": "cam", "source": source, **FAST, **config})
    worker = CameraWorker(camera, FrameSlot(capacity=1), states.append, random.Random(0))
    worker.start()
    return worker


def stop_worker(worker: CameraWorker) -> None:
    worker.stop()
    assert worker.join(worker.max_block_s + 1.0), "camera thread did not end"


def os_threads() -> int:
    """Threads of this process as the kernel sees them, FFmpeg's included."""
    return len(os.listdir("/proc/self/task"))


def test_server_killed_then_back(server: RtspServer, samples_dir: Path, detector: Detector) -> None:
    config = GatewatchConfig.model_validate(
        {
            "detector": {"detection_fps": 5},
            "cameras": [
                {"id": "rtsp", "source": server.url, **FAST},
                {"id": "file", "source": str(samples_dir / "vtest.avi"), **FAST},
            ],
        }
    )
    states: list[StateChange] = []
    runtime = Runtime(config, detector, lambda event: None, states.append)
    runtime.start()
    try:
        wait_until(lambda: runtime.status()["rtsp"].frames_in >= 10, 10.0, "RTSP camera delivering")
        file_before = runtime.status()["file"].frames_in

        server.kill()
        wait_until(
            lambda: runtime.status()["rtsp"].state is CameraState.RECONNECTING,
            FAST["stall_after_s"] + FAST["read_timeout_s"],
            "reconnecting within the watchdog timeout",
        )
        wait_until(lambda: runtime.status()["rtsp"].reconnect_attempts >= 2, 5.0, "retries while the server is gone")
        file_during = runtime.status()["file"]

        server.start()
        wait_until(lambda: runtime.status()["rtsp"].state is CameraState.RUNNING, 5.0, "running again")
        status = runtime.status()
    finally:
        assert runtime.stop(), "a thread did not end"

    rtsp, file = status["rtsp"], status["file"]
    assert rtsp.reconnects == 1 and rtsp.reconnect_attempts >= 2
    assert "Connection refused" in (rtsp.last_error or "")
    # The file camera never noticed: still running at the clip's 10 fps, still analysed.
    assert file.state is CameraState.RUNNING and file.reconnect_attempts == 0
    assert file.fps == pytest.approx(10.0, rel=0.2)
    assert file_during.frames_in > file_before and file.detected > 0
    rtsp_states = [s.state for s in states if s.camera == "rtsp"]
    assert rtsp_states[:3] == [CameraState.CONNECTING, CameraState.RUNNING, CameraState.RECONNECTING]
    assert CameraState.RUNNING in rtsp_states[3:]


def test_frozen_server_goes_stalled_then_reconnects(server: RtspServer) -> None:
    states: list[StateChange] = []
    worker = start_worker(server.url, states)
    watchdog = Watchdog([worker], interval_s=0.1)
    watchdog.start()
    try:
        wait_until(lambda: worker.stats().frames_in >= 5, 10.0, "frames before the freeze")
        server.freeze()  # connection open, nothing flows: only the watchdog and the read timeout notice
        stalled = wait_until(lambda: worker.state is CameraState.STALLED, 2.0, "stalled")
        wait_until(lambda: worker.state is CameraState.RECONNECTING, FAST["read_timeout_s"] + 1.0, "reconnecting")
        server.thaw()
        wait_until(lambda: worker.state is CameraState.RUNNING, 5.0 + FAST["open_timeout_s"], "running after thaw")
    finally:
        assert watchdog.stop()
        stop_worker(worker)
    assert stalled < 0.5 + FAST["stall_after_s"] + 0.5
    changes = [(s.state, s.message) for s in states]
    stall = next(m for state, m in changes if state is CameraState.STALLED)
    assert stall is not None and stall.startswith("no frame for")
    assert worker.stats().reconnects == 1


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("closed_port", "Connection refused"),
        ("wrong_path", "404 Not Found"),
        ("text_url", "is text, not video"),
        ("cut_header", "Invalid data found"),
    ],
)
def test_bad_source_keeps_retrying_without_leaking(
    source: str, message: str, request: pytest.FixtureRequest, tmp_path: Path, samples_dir: Path
) -> None:
    if source == "closed_port":
        url = f"rtsp://127.0.0.1:{free_port()}/cam"  # bound then released: nothing listens there
    elif source == "wrong_path":
        url = request.getfixturevalue("server").url.replace("/cam", "/no-such-path")
    elif source == "text_url":
        url = request.getfixturevalue("text_url")
    else:
        # An MP4 written without faststart and cut short: its header (moov, at the end) is gone.
        whole = tmp_path / "whole.mp4"
        subprocess.run(
            [
                "ffmpeg",
                "-v",
                "error",
                "-i",
                str(samples_dir / "vtest.avi"),
                "-an",
                "-c:v",
                "copy",
                "-t",
                "20",
                str(whole),
            ],
            check=True,
            timeout=60,
        )
        url = str(tmp_path / "cut.mp4")
        Path(url).write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])

    states: list[StateChange] = []
    worker = start_worker(url, states, reconnect_min_s=0.01, reconnect_max_s=0.02)
    try:
        wait_until(lambda: worker.stats().reconnect_attempts >= 3, 10.0, "three failed attempts")
        threads_before = (threading.active_count(), os_threads())
        wait_until(lambda: worker.stats().reconnect_attempts >= 23, 15.0, "20 more failed attempts")
        threads_after = (threading.active_count(), os_threads())
        stats = worker.stats()
    finally:
        stop_worker(worker)
    assert stats.state is CameraState.RECONNECTING and stats.frames_in == 0
    assert message in (stats.last_error or "") and url in (stats.last_error or "")
    assert threads_after == threads_before
    # The state listener heard the reason once, not 23 times: a repeated error is not a new state.
    reconnecting = [s for s in states if s.state is CameraState.RECONNECTING]
    assert len(reconnecting) == 1 and message in (reconnecting[0].message or "")
    assert states[-1].state is CameraState.STOPPED


def test_truncated_file_stops_with_a_reason(clip: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.mp4"  # faststart MP4: header intact, 4/5 of the frames missing
    cut.write_bytes(clip.read_bytes()[: clip.stat().st_size // 5])
    states: list[StateChange] = []
    worker = start_worker(str(cut), states, realtime=False)
    try:
        wait_until(lambda: worker.state is CameraState.STOPPED, 10.0, "stopped at the cut")
    finally:
        stop_worker(worker)
    stats = worker.stats()
    assert 0 < stats.frames_in < 795
    assert stats.last_error == f"{cut}: ended after {stats.frames_in} of 795 frames (truncated or corrupt file)"
    assert states[-1].message == stats.last_error
