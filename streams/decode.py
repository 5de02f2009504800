"""Decoding with PyAV (FFmpeg): open any source with timeouts, yield BGR frames with media time.

Failures become ``SourceError`` with a message a person can act on, never a blank frame.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import av
import av.error
import numpy as np

from gatewatch.streams.media_clock import MediaClock
from gatewatch.vision.errors import UserError


class SourceError(UserError):
    """A source could not be opened or read; the message says which and why."""


class Picture:
    """A decoded picture, converted to BGR on first use and only once (thread-safe).

    Live cameras decode every frame but analyse few of them (5 of 25 per second are detected; the
    rest are coasted without looking at pixels, and a slow scheduler drops superseded frames unseen).
    The YUV->BGR conversion costs about half as much again as decoding a 720p frame, so it is only
    paid for frames someone looks at.
    """

    __slots__ = ("_bgr", "_frame", "_lock", "height", "width")

    def __init__(self, frame: av.VideoFrame | np.ndarray) -> None:
        self._lock = threading.Lock()
        self._frame: av.VideoFrame | None
        self._bgr: np.ndarray | None
        if isinstance(frame, np.ndarray):
            self._frame, self._bgr = None, frame
            self.height, self.width = frame.shape[:2]
        else:
            self._frame, self._bgr = frame, None
            self.width, self.height = frame.width, frame.height

    def bgr(self) -> np.ndarray:
        """(H, W, 3) uint8 BGR."""
        if self._bgr is None:
            with self._lock:
                if self._bgr is None:
                    assert self._frame is not None
                    self._bgr = self._frame.to_ndarray(format="bgr24")
                    self._frame = None  # the decoder's buffer goes back to its pool
        return self._bgr


@dataclass(frozen=True, slots=True)
class VideoFrame:
    picture: Picture
    t_s: float  # media seconds from the first frame, rising, re-anchored at discontinuities (see MediaClock)
    index: int  # decode order, 0-based
    clock_jump_s: float = 0.0  # the media timestamps' jump this frame re-anchored the clock at (0: none)

    @property
    def image(self) -> np.ndarray:
        """(H, W, 3) uint8 BGR, converted on first use."""
        return self.picture.bgr()


@dataclass(frozen=True, slots=True)
class StreamInfo:
    width: int
    height: int
    fps: float | None
    duration_s: float | None
    frame_count: int | None
    codec: str


# FFmpeg demuxers for text art (ANSI, BIN, XBIN, ADF, IDF): they accept almost any text as a video.
TEXT_FORMATS = frozenset({"tty", "bin", "xbin", "adf", "idf"})


def _is_url(source: str) -> bool:
    return "://" in source


def _input_format(source: str) -> str | None:
    # A device node has no file header to probe: FFmpeg must be told it is a V4L2 capture device.
    return "v4l2" if source.startswith("/dev/video") else None


def _open_options(source: str, rtsp_transport: str) -> dict[str, str]:
    if source.startswith(("rtsp://", "rtsps://")):
        return {"rtsp_transport": rtsp_transport, "rtsp_flags": "prefer_tcp" if rtsp_transport == "tcp" else ""}
    return {}


class VideoReader:
    """An opened video source. Iterate ``frames()``; close when done (or use ``with``)."""

    def __init__(
        self,
        source: str,
        *,
        open_timeout_s: float = 10.0,
        read_timeout_s: float = 5.0,
        rtsp_transport: str = "tcp",
        decoder_threads: int = 0,
        analyze_s: float | None = None,
    ) -> None:
        self.source = source
        if not _is_url(source) and not source.startswith("/dev/") and not Path(source).is_file():
            raise SourceError(f"{source}: no such file")
        options = {k: v for k, v in _open_options(source, rtsp_transport).items() if v}
        if analyze_s is not None:
            # FFmpeg probes 5 s of a live stream before open returns by default; a reconnecting
            # camera needs far less to learn the codec and frame size of one H.264 stream.
            options["analyzeduration"] = str(int(analyze_s * 1_000_000))
        try:
            self._container = av.open(
                source, format=_input_format(source), options=options, timeout=(open_timeout_s, read_timeout_s)
            )
        except av.error.FFmpegError as exc:
            raise SourceError(f"{source}: cannot open ({_reason(exc)})") from exc
        if not self._container.streams.video:
            self._container.close()
            raise SourceError(f"{source}: has no video stream")
        demuxer = self._container.format.name
        if demuxer in TEXT_FORMATS:
            # FFmpeg renders any text (an HTTP error page, a log) as ANSI art "video": refuse it.
            self._container.close()
            raise SourceError(f"{source}: is text, not video (FFmpeg read it as {demuxer!r})")
        self._stream = self._container.streams.video[0]
        self._stream.thread_type = "AUTO"
        if decoder_threads:
            self._stream.codec_context.thread_count = decoder_threads
        self.info = self._read_info()
        self.clock = MediaClock(self.info.fps or 25.0, live=_is_url(source) or source.startswith("/dev/"))

    def _read_info(self) -> StreamInfo:
        s = self._stream
        ctx = s.codec_context
        if not ctx.width or not ctx.height:
            self._container.close()
            raise SourceError(f"{self.source}: video stream has no frame size (corrupt header?)")
        fps = float(s.average_rate) if s.average_rate else None
        duration = float(s.duration * s.time_base) if s.duration and s.time_base else None
        if duration is None and self._container.duration:
            duration = self._container.duration / av.time_base
        return StreamInfo(ctx.width, ctx.height, fps, duration, s.frames or None, ctx.name)

    def frames(self) -> Iterator[VideoFrame]:
        """Decoded frames in order; raises ``SourceError`` on corrupt data or a read timeout."""
        index = 0
        fps = self.info.fps or 25.0
        # AVI stores no presentation times: FFmpeg guesses them from decode order, which B-frames scramble.
        # AVI is constant-rate by design, so the frame index is the true clock there.
        constant_rate = self._container.format.name == "avi"
        try:
            for frame in self._container.decode(self._stream):
                t_s = self.clock.time_of(index / fps if constant_rate else frame.time)
                yield VideoFrame(Picture(frame), t_s, index, self.clock.jump_s)
                index += 1
        except av.error.FFmpegError as exc:
            raise SourceError(f"{self.source}: read failed after {index} frames ({_reason(exc)})") from exc
        if index == 0:
            raise SourceError(f"{self.source}: no decodable video frames (corrupt or empty)")

    def close(self) -> None:
        self._container.close()

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()


def _reason(exc: av.error.FFmpegError) -> str:
    return getattr(exc, "strerror", None) or str(exc)
