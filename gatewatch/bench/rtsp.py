"""The camera side of ``--profile substream``: GStreamer's RTSP server serving every clip's main and sub-stream.

Like an IP camera, each clip is served at two URLs, ``/main<i>`` (1280x720 25 fps) and ``/sub<i>``
(640x360 10 fps), paced in real time by the server; every client gets its own pipeline from the start
of the file. The server is a separate process under the system Python, where Debian's GStreamer
introspection bindings live (gir1.2-gst-rtsp-server-1.0, gstreamer1.0-plugins-good/-bad), so its CPU
is not the trial's; the bench reports it apart. FFmpeg cannot serve RTSP (its muxer only pushes).

Run directly: ``/usr/bin/python3 gatewatch/bench/rtsp.py PORT NAME=FILE [NAME=FILE ...]`` prints
``listening`` when ready. This file must import nothing of gatewatch: the system Python runs it.
"""

from __future__ import annotations

import os
import select
import socket
import subprocess
import sys
from pathlib import Path

SYSTEM_PYTHON = "/usr/bin/python3"
READY_LINE = "listening"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class RtspServer:
    """``mounts`` (name -> MP4 file with H.264 video) served at rtsp://127.0.0.1:PORT/<name>."""

    def __init__(self, mounts: dict[str, Path], log: Path) -> None:
        self.mounts = mounts
        self.log = log  # the server's stderr: a full pipe would block it
        self.port = _free_port()
        self._proc: subprocess.Popen[str] | None = None

    def url(self, name: str) -> str:
        return f"rtsp://127.0.0.1:{self.port}/{name}"

    def start(self, timeout_s: float = 20.0) -> None:
        argv = [SYSTEM_PYTHON, __file__, str(self.port), *(f"{k}={v}" for k, v in self.mounts.items())]
        with self.log.open("a") as log:
            self._proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=log, text=True)
        assert self._proc.stdout is not None
        ready, _, _ = select.select([self._proc.stdout], [], [], timeout_s)
        if not ready or self._proc.stdout.readline().strip() != READY_LINE:
            self.stop()
            raise RuntimeError(
                f"the RTSP server ({SYSTEM_PYTHON} with GStreamer's gst-rtsp-server) did not start within "
                f"{timeout_s:.0f} s; see {self.log}"
            )

    def cpu_s(self) -> float:
        """CPU seconds (user + system) the server process has used so far."""
        if self._proc is None:
            return 0.0
        fields = Path(f"/proc/{self._proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.communicate(timeout=10)
        self._proc = None

    def __enter__(self) -> RtspServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _serve(port: int, mounts: list[str]) -> None:
    import gi  # Debian's python3-gi, system Python only

    gi.require_version("Gst", "1.0")
    gi.require_version("GstRtspServer", "1.0")
    from gi.repository import GLib, Gst, GstRtspServer

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(port))
    for mount in mounts:
        name, path = mount.split("=", 1)
        factory = GstRtspServer.RTSPMediaFactory()
        location = path.replace("\\", "\\\\").replace('"', '\\"')
        # config-interval=-1: SPS/PPS before every keyframe, so a client joining decodes at once.
        factory.set_launch(
            f'( filesrc location="{location}" ! qtdemux ! h264parse ! rtph264pay name=pay0 pt=96 config-interval=-1 )'
        )
        factory.set_shared(False)  # every camera client gets its own pipeline from the clip's start
        server.get_mount_points().add_factory(f"/{name}", factory)
    if server.attach(None) == 0:
        sys.exit(f"cannot listen on 127.0.0.1:{port}")
    print(READY_LINE, flush=True)
    GLib.MainLoop().run()


if __name__ == "__main__":
    _serve(int(sys.argv[1]), sys.argv[2:])
