"""FrameHub: the newest analysed frame of every camera, as JPEG for live viewers and event snapshots.

The scheduler thread only stores a reference (``on_analysis``): nothing is drawn or encoded unless
someone asks. A frame is annotated and encoded at most once per variant (overlay / clean) however
many viewers ask, because the encode happens under the camera's lock and its result is cached under
the frame's sequence number; concurrent viewers of the same frame wait for that one encode.

An MJPEG viewer polls at its own frame-rate cap and always gets the newest frame: no per-viewer
queue exists, so a slow viewer skips frames and can never slow the pipeline. A camera without new
frames (stalled, reconnecting, stopped) sends nothing, never a placeholder picture.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field

import cv2

from gatewatch.snapshots import JPEG_QUALITY
from gatewatch.streams.camera_types import CapturedFrame
from gatewatch.vision.analyzer import FrameAnalysis
from gatewatch.vision.annotate import Annotator

BOUNDARY = "gatewatch-frame"
POLL_S = 0.02  # how often a waiting viewer looks for a newer frame (a cheap int compare)


@dataclass(frozen=True, slots=True)
class Latest:
    seq: int  # hub-wide sequence number: identifies the frame across worker restarts
    frame: CapturedFrame
    analysis: FrameAnalysis


@dataclass
class _View:
    annotator: Annotator
    lock: threading.Lock = field(default_factory=threading.Lock)  # one encode per frame and variant
    latest: Latest | None = None
    cache: dict[bool, tuple[int, bytes]] = field(default_factory=dict)  # overlay -> (seq, jpeg)
    encodes: int = 0
    served: int = 0  # frames sent to MJPEG viewers


class FrameHub:
    def __init__(self, class_names: Sequence[str], jpeg_quality: int = JPEG_QUALITY) -> None:
        self._class_names = tuple(class_names)
        self._quality = [int(cv2.IMWRITE_JPEG_QUALITY), jpeg_quality]
        self._lock = threading.Lock()  # guards the dict and the sequence number
        self._views: dict[str, _View] = {}
        self._seq = 0

    # ------------------------------------------------------------------ scheduler thread

    def on_analysis(self, frame: CapturedFrame, analysis: FrameAnalysis, detected: bool) -> None:
        """Runtime sink: remember the frame (a reference; the scheduler never mutates frames)."""
        with self._lock:
            self._seq += 1
            view = self._views.get(frame.camera)
            if view is None:
                view = self._views[frame.camera] = _View(Annotator(self._class_names))
            view.latest = Latest(self._seq, frame, analysis)

    # ------------------------------------------------------------------ readers (any thread)

    def latest(self, camera: str) -> Latest | None:
        view = self._views.get(camera)
        return None if view is None else view.latest

    def jpeg(self, camera: str, overlay: bool = True) -> bytes | None:
        """The newest frame as JPEG (annotated unless ``overlay`` is False); None before the first frame."""
        return self._encoded(camera, overlay)[1]

    def latest_jpeg(self, camera: str) -> bytes | None:
        """The annotated newest frame, for event snapshots (call from ``on_event``: the frame is there)."""
        return self.jpeg(camera, overlay=True)

    def counters(self, camera: str) -> tuple[int, int]:
        """(encodes, frames served to MJPEG viewers) of a camera, for tests and metrics."""
        view = self._views.get(camera)
        return (0, 0) if view is None else (view.encodes, view.served)

    def retain(self, cameras: Iterable[str]) -> None:
        """Forget cameras not in ``cameras`` (removed from the running config); their streams end."""
        keep = set(cameras)
        with self._lock:
            for camera in [c for c in self._views if c not in keep]:
                del self._views[camera]

    def _encoded(self, camera: str, overlay: bool) -> tuple[int, bytes | None]:
        view = self._views.get(camera)
        if view is None:
            return 0, None
        with view.lock:
            latest = view.latest
            if latest is None:
                return 0, None
            cached = view.cache.get(overlay)
            if cached is not None and cached[0] == latest.seq:
                return cached
            image = latest.frame.image
            if overlay:
                image = view.annotator.draw(image, latest.analysis, latest.analysis.zone_polygons)
            ok, buffer = cv2.imencode(".jpg", image, self._quality)
            if not ok:  # never happens for a valid BGR frame; an error beats a broken picture
                raise RuntimeError(f"JPEG encoding failed for camera {camera}")
            view.encodes += 1
            view.cache[overlay] = (latest.seq, buffer.tobytes())
            return view.cache[overlay]

    async def mjpeg(self, camera: str, fps: float, overlay: bool = True) -> AsyncIterator[bytes]:
        """multipart/x-mixed-replace parts, newest frame at most ``fps`` times a second, until the camera goes."""
        period = 1.0 / fps
        loop = asyncio.get_running_loop()
        sent = -1
        while camera in self._views:
            latest = self.latest(camera)
            if latest is None or latest.seq == sent:
                await asyncio.sleep(POLL_S)
                continue
            began = loop.time()
            seq, jpeg = await asyncio.to_thread(self._encoded, camera, overlay)
            if jpeg is None:
                continue
            sent = seq
            view = self._views.get(camera)
            if view is not None:
                view.served += 1
            yield _part(jpeg)
            # Sends begin at least ``period`` apart; a frame that arrives later than that goes out at once.
            await asyncio.sleep(max(0.0, began + period - loop.time()))


def _part(jpeg: bytes) -> bytes:
    head = f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n\r\n"
    return head.encode("ascii") + jpeg + b"\r\n"
