"""GStreamer's RTSP server serving MP4 files as cameras: the bench's ``--profile substream`` and the live tests.

Like an IP camera, each file is served at its own URL, paced in real time by the server; every client
gets its own pipeline from the start of the file. The bench serves each clip's ``/main<i>`` (1280x720
25 fps) and ``/sub<i>`` (640x360 10 fps); the tests (tests/rtsp_server.py) serve one clip and kill,
freeze and restart the server like a failing camera. The server is a separate process under the system
Python, where Debian's GStreamer introspection bindings live (gir1.2-gst-rtsp-server-1.0,
gstreamer1.0-plugins-good/-bad), so its CPU is not the trial's; the bench reports it apart. FFmpeg
cannot serve RTSP (its muxer only pushes).

Run directly: ``/usr/bin/python3 gatewatch/bench/rtsp.py PORT [--restart-after S] NAME=FILE [NAME=FILE ...]``
prints ``listening`` when ready. This file must import nothing of gatewatch: the system Python runs it.
"""

from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import sys
from pathlib import Path

SYSTEM_PYTHON = "/usr/bin/python3"
READY_LINE = "listening"
RESTART_FLAG = "--restart-after"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class RtspServer:
    """``mounts`` (name -> MP4 file with H.264 video) served at rtsp://127.0.0.1:PORT/<name>.

    The port stays fixed across ``stop()`` / ``start()``, so a camera can reconnect to the same URL.
    With ``restart_after_s``, each client's stream starts again from the file's start after that many
    seconds, as a camera whose encoder restarts: its RTP timestamps jump back while packets keep flowing.
    """

    def __init__(
        self, mounts: dict[str, Path], log: Path, port: int | None = None, restart_after_s: float | None = None
    ) -> None:
        self.mounts = mounts
        self.log = log  # the server's stderr: a full pipe would block it
        self.port = port or free_port()
        self.restart_after_s = restart_after_s
        self._proc: subprocess.Popen[str] | None = None

    def url(self, name: str) -> str:
        return f"rtsp://127.0.0.1:{self.port}/{name}"

    def start(self, timeout_s: float = 20.0) -> None:
        """Start the server and return once it accepts connections."""
        if self.running:
            raise RuntimeError("RTSP server already running")
        restart = [] if self.restart_after_s is None else [RESTART_FLAG, str(self.restart_after_s)]
        argv = [SYSTEM_PYTHON, __file__, str(self.port), *restart, *(f"{k}={v}" for k, v in self.mounts.items())]
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

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def cpu_s(self) -> float:
        """CPU seconds (user + system) the server process has used so far."""
        if self._proc is None:
            return 0.0
        fields = Path(f"/proc/{self._proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
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
        self.stop()


def _serve(port: int, mounts: list[str], restart_after_s: float | None) -> None:
    import gi  # Debian's python3-gi, system Python only

    gi.require_version("Gst", "1.0")
    gi.require_version("GstRtspServer", "1.0")
    from gi.repository import GLib, Gst, GstRtspServer

    def restart_later(_factory: object, media: GstRtspServer.RTSPMedia) -> None:
        def restart() -> bool:
            # A flushing seek restarts the pipeline's running time, from which the payloader derives RTP
            # timestamps: they jump back to the file's start, while the connection stays up.
            pipeline = media.get_element().get_parent()
            pipeline.seek_simple(Gst.Format.TIME, Gst.SeekFlags.FLUSH | Gst.SeekFlags.KEY_UNIT, 0)
            return False  # once

        assert restart_after_s is not None
        GLib.timeout_add(int(restart_after_s * 1000), restart)

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
        if restart_after_s is not None:
            factory.connect("media-configure", restart_later)
        server.get_mount_points().add_factory(f"/{name}", factory)
    if server.attach(None) == 0:
        sys.exit(f"cannot listen on 127.0.0.1:{port}")
    print(READY_LINE, flush=True)
    GLib.MainLoop().run()


if __name__ == "__main__":
    args = sys.argv[2:]
    restart_s = float(args[1]) if args[:1] == [RESTART_FLAG] else None
    _serve(int(sys.argv[1]), args[2:] if restart_s is not None else args, restart_s)
