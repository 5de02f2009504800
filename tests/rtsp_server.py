"""A real RTSP server on loopback for the live tests: GStreamer's gst-rtsp-server in a subprocess.

The server itself is the bench's (gatewatch.bench.rtsp): here one clip at one path, killed, frozen and
started again by the tests.

Why not ``ffmpeg -f rtsp -rtsp_flags listen``: in FFmpeg (5.1 here) ``listen`` is an option of the
RTSP *demuxer* only; the RTSP muxer always pushes to a server, so FFmpeg cannot serve a stream for a
camera client to pull. gst-rtsp-server (Debian: gir1.2-gst-rtsp-server-1.0, gstreamer1.0-plugins-good,
gstreamer1.0-plugins-bad) is a real multi-client server with TCP and UDP transports, like a camera.

FFmpeg still prepares the clip: video only, H.264 copied when it already is H.264, else re-encoded
with libx264 ultrafast; MP4 so GStreamer's qtdemux hands rtph264pay complete access units.
The server runs under the system Python (/usr/bin/python3), where Debian's python3-gi lives; the
test venv only starts, kills, freezes and restarts it.

Also ``wait_until``, the polling the live tests share.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from gatewatch.bench import rtsp as bench_rtsp
from gatewatch.bench.rtsp import free_port

__all__ = ["RtspServer", "free_port", "prepare_clip", "wait_until"]


def prepare_clip(clip: Path, out_dir: Path) -> Path:
    """An MP4 with only the clip's video as H.264, copied when possible (fast), else re-encoded."""
    out = out_dir / f"{clip.stem}.rtsp.mp4"
    if out.is_file():
        return out
    codec = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=codec_name",
            "-of",
            "csv=p=0",
            str(clip),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout.strip()
    video = ["-c:v", "copy"] if codec == "h264" else ["-c:v", "libx264", "-preset", "ultrafast", "-g", "10"]
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-i", str(clip), "-an", *video, "-movflags", "+faststart", str(out)],
        check=True,
        timeout=300,
    )
    return out


def wait_until(predicate: Callable[[], object], timeout_s: float, what: str) -> float:
    """Poll until ``predicate()`` is truthy; returns the seconds it took, fails the test on timeout."""
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout_s:
            raise AssertionError(f"not within {timeout_s} s: {what}")
        time.sleep(0.02)
    return time.monotonic() - start


class RtspServer:
    """Serves one prepared clip at rtsp://127.0.0.1:PORT/PATH; each client gets the clip from its start.

    The port stays fixed across ``kill()`` / ``start()`` so a camera can reconnect to the same URL.
    With ``restart_after_s`` each client's stream restarts after that long (RTP timestamps jump back).
    """

    def __init__(
        self, clip: Path, path: str = "cam", port: int | None = None, restart_after_s: float | None = None
    ) -> None:
        self.clip = clip
        self.path = path
        log = clip.with_suffix(".server.log")
        self._server = bench_rtsp.RtspServer({path: clip}, log, port, restart_after_s)
        self.port = self._server.port

    @property
    def url(self) -> str:
        return self._server.url(self.path)

    def start(self, timeout_s: float = 10.0) -> None:
        """Start the server and return once it accepts connections."""
        self._server.start(timeout_s)

    @property
    def running(self) -> bool:
        return self._server.running

    def kill(self) -> None:
        """Hard stop, like a camera losing power: clients see the TCP connection drop."""
        self._server.stop()

    def freeze(self) -> None:
        """SIGSTOP: the connection stays open but no data flows, like a hung camera."""
        self._server.freeze()

    def thaw(self) -> None:
        self._server.thaw()

    def __enter__(self) -> RtspServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.kill()
