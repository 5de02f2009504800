"""A real RTSP server on loopback for the live tests: GStreamer's gst-rtsp-server in a subprocess.

Why not ``ffmpeg -f rtsp -rtsp_flags listen``: in FFmpeg (5.1 here) ``listen`` is an option of the
RTSP *demuxer* only; the RTSP muxer always pushes to a server, so FFmpeg cannot serve a stream for a
camera client to pull. gst-rtsp-server (Debian: gir1.2-gst-rtsp-server-1.0, gstreamer1.0-plugins-good,
gstreamer1.0-plugins-bad) is a real multi-client server with TCP and UDP transports, like a camera.

FFmpeg still prepares the clip: video only, H.264 copied when it already is H.264, else re-encoded
with libx264 ultrafast; MP4 so GStreamer's qtdemux hands rtph264pay complete access units.
The server runs under the system Python (/usr/bin/python3), where Debian's python3-gi lives; the
test venv only starts, kills, freezes and restarts it.

Also ``wait_until``, the polling the live tests share.

Run directly: ``/usr/bin/python3 tests/rtsp_server.py CLIP PORT PATH [RESTART_S]`` prints ``listening`` when
ready. With RESTART_S, each client's stream starts again from the clip's start after that many seconds, as
a camera whose encoder restarts: its RTP timestamps jump back while packets keep flowing.
"""

from __future__ import annotations

import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

SYSTEM_PYTHON = "/usr/bin/python3"
READY_LINE = "listening"


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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RtspServer:
    """Serves one prepared clip at rtsp://127.0.0.1:PORT/PATH; each client gets the clip from its start.

    The port stays fixed across ``kill()`` / ``start()`` so a camera can reconnect to the same URL.
    """

    def __init__(
        self, clip: Path, path: str = "cam", port: int | None = None, restart_after_s: float | None = None
    ) -> None:
        self.clip = clip
        self.path = path
        self.port = port or free_port()
        self.restart_after_s = restart_after_s
        self._proc: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"rtsp://127.0.0.1:{self.port}/{self.path}"

    def start(self, timeout_s: float = 10.0) -> None:
        """Start the server and return once it accepts connections."""
        if self.running:
            raise RuntimeError("RTSP server already running")
        log = self.clip.with_suffix(".server.log").open("a")  # stderr to a file: a full pipe would block it
        restart = [] if self.restart_after_s is None else [str(self.restart_after_s)]
        self._proc = subprocess.Popen(
            [SYSTEM_PYTHON, __file__, str(self.clip), str(self.port), self.path, *restart],
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        log.close()
        assert self._proc.stdout is not None
        ready, _, _ = select.select([self._proc.stdout], [], [], timeout_s)
        line = self._proc.stdout.readline() if ready else ""
        if line.strip() != READY_LINE:
            self.kill()
            raise RuntimeError(f"RTSP server did not start within {timeout_s} s (see {log.name}): {line!r}")

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def kill(self) -> None:
        """Hard stop, like a camera losing power: clients see the TCP connection drop."""
        if self._proc is None:
            return
        if self._proc.poll() is None:
            self._proc.send_signal(signal.SIGCONT)  # a frozen process must be able to die
            self._proc.kill()
        self._proc.communicate(timeout=10)
        self._proc = None

    def freeze(self) -> None:
        """SIGSTOP: the connection stays open but no data flows, like a hung camera."""
        if self._proc is not None:
            self._proc.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        if self._proc is not None:
            self._proc.send_signal(signal.SIGCONT)

    def __enter__(self) -> RtspServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.kill()


def _serve(clip: str, port: int, path: str, restart_after_s: float | None) -> None:
    """Runs under the system Python with GStreamer's introspection bindings."""
    import gi

    gi.require_version("Gst", "1.0")
    gi.require_version("GstRtspServer", "1.0")
    from gi.repository import GLib, Gst, GstRtspServer

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(port))
    factory = GstRtspServer.RTSPMediaFactory()
    location = clip.replace("\\", "\\\\").replace('"', '\\"')
    # config-interval=-1: SPS/PPS before every keyframe, so a client joining mid-stream decodes at once.
    factory.set_launch(
        f'( filesrc location="{location}" ! qtdemux ! h264parse ! rtph264pay name=pay0 pt=96 config-interval=-1 )'
    )
    factory.set_shared(False)  # every client gets its own pipeline from the clip's start
    if restart_after_s is not None:

        def restart_later(_factory: object, media: GstRtspServer.RTSPMedia) -> None:
            def restart() -> bool:
                # A flushing seek restarts the pipeline's running time, from which the payloader derives
                # RTP timestamps: they jump back to the clip's start, while the connection stays up.
                pipeline = media.get_element().get_parent()
                pipeline.seek_simple(Gst.Format.TIME, Gst.SeekFlags.FLUSH | Gst.SeekFlags.KEY_UNIT, 0)
                return False  # once

            GLib.timeout_add(int(restart_after_s * 1000), restart)

        factory.connect("media-configure", restart_later)
    server.get_mount_points().add_factory(f"/{path}", factory)
    if server.attach(None) == 0:
        sys.exit(f"cannot listen on 127.0.0.1:{port}")
    print(READY_LINE, flush=True)
    GLib.MainLoop().run()


if __name__ == "__main__":
    _serve(sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4]) if len(sys.argv) > 4 else None)
