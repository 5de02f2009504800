"""Stream roles against real RTSP servers: a camera analyses its sub-stream and only names its main stream."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from gatewatch.config.edit import to_yaml
from gatewatch.config.schema import GatewatchConfig
from gatewatch.streams.camera_config import CameraConfig
from gatewatch.streams.camera_types import CameraState, CapturedFrame
from gatewatch.streams.runtime import Runtime
from gatewatch.vision.analyzer import FrameAnalysis
from gatewatch.vision.detector import Detector
from tests.rtsp_server import RtspServer, wait_until


def encode(clip: Path, out: Path, width: int, height: int, fps: int) -> Path:
    """A camera-like H.264 stream of the clip's first 20 s: the size and rate of one stream role."""
    if not out.is_file():
        vf = f"scale={width}:{height}:force_original_aspect_ratio=decrease,pad={width}:{height}:-1:-1,fps={fps}"
        subprocess.run(
            ["ffmpeg", "-v", "error", "-y", "-i", str(clip), "-t", "20", "-an", "-vf", vf, "-c:v", "libx264",
             "-preset", "ultrafast", "-bf", "0", "-g", str(2 * fps), "-movflags", "+faststart", str(out)],
            check=True, timeout=300,
        )  # fmt: skip
    return out


@pytest.fixture(scope="module")
def role_clips(samples_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    out = tmp_path_factory.mktemp("roles")
    clip = samples_dir / "vtest.avi"
    return encode(clip, out / "main.mp4", 1280, 720, 25), encode(clip, out / "sub.mp4", 640, 360, 10)


@pytest.fixture
def camera_servers(role_clips: tuple[Path, Path]) -> Iterator[tuple[RtspServer, RtspServer]]:
    """The two streams an IP camera serves: main (720p25) and sub (360p10), each at its own URL."""
    main_clip, sub_clip = role_clips
    with RtspServer(main_clip, "main") as main, RtspServer(sub_clip, "sub") as sub:
        yield main, sub


def config(source: str, view_source: str | None) -> GatewatchConfig:
    camera = {"id": "gate", "source": source, "open_timeout_s": 5}
    if view_source is not None:
        camera["view_source"] = view_source
    return GatewatchConfig.model_validate({"detector": {"detection_fps": 5}, "cameras": [camera]})


def test_the_detect_stream_is_analysed_and_the_view_stream_never_opened(
    camera_servers: tuple[RtspServer, RtspServer], detector: Detector
) -> None:
    main, sub = camera_servers
    sizes: set[tuple[int, int]] = set()

    def seen(frame: CapturedFrame, _analysis: FrameAnalysis, _detected: bool) -> None:
        sizes.add((frame.width, frame.height))

    runtime = Runtime(config(sub.url, main.url), detector, lambda e: None, lambda s: None, on_analysis=seen)
    runtime.start()
    try:
        wait_until(lambda: runtime.status()["gate"].frames_in >= 20, 20.0, "2 s of sub-stream frames")
        # The main stream going away does not touch the camera: gatewatch never reads it.
        main.kill()
        before = runtime.status()["gate"].frames_in
        wait_until(lambda: runtime.status()["gate"].frames_in >= before + 20, 10.0, "frames after the main stream died")
        status = runtime.status()["gate"]
        # Renaming the main stream is a listing change: the analysed stream stays open.
        moved = config(sub.url, main.url.replace("/main", "/main2"))
        applied = runtime.apply(moved)
        after_apply = runtime.status()["gate"]
    finally:
        assert runtime.stop(), "a thread did not end"
    assert sizes == {(640, 360)}  # analysed (and shown) frames are the sub-stream's
    assert status.state is CameraState.RUNNING and status.reconnects == 0 and status.last_error is None
    assert status.fps == pytest.approx(10.0, rel=0.25)  # the sub-stream's rate, not the main stream's 25
    assert applied.reconfigured == ["gate"] and applied.restarted == []
    assert after_apply.reconnects == 0


@pytest.mark.unit
def test_single_source_configs_are_unchanged() -> None:
    camera = config("rtsp://h/cam", None).cameras[0]
    assert camera.view_source is None and camera.source == "rtsp://h/cam"
    assert "view_source" not in yaml.safe_load(to_yaml(config("rtsp://h/cam", None)))["cameras"][0]


@pytest.mark.unit
def test_view_source_is_checked_and_redacted() -> None:
    with pytest.raises(ValidationError, match="view_source is the same as source"):
        CameraConfig.model_validate({"id": "gate", "source": "rtsp://h/a", "view_source": "rtsp://h/a"})
    with pytest.raises(ValidationError, match="view_source"):
        CameraConfig.model_validate({"id": "gate", "source": "rtsp://h/a", "view_source": ""})
    with pytest.raises(ValidationError, match="Extra inputs"):
        CameraConfig.model_validate({"id": "gate", "source": "rtsp://h/a", "detect_source": "rtsp://h/b"})
    text = to_yaml(config("rtsp://u:pw1@h/sub", "rtsp://u:pw2@h/main"))
    assert "pw1" not in text and "pw2" not in text and "rtsp://u:***@h/main" in text
