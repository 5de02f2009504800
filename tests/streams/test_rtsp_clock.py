"""Frame time of an RTSP camera whose timestamps jump, against the real GStreamer RTSP server.

The server restarts the stream 4 s in (``RtspServer(restart_after_s=...)``): its RTP timestamps jump
back about 4 s while packets keep flowing, as when a camera restarts its encoder or FFmpeg re-bases
timestamps on an RTCP sender report. Frame time must go on rising with the time that passes.
"""

from __future__ import annotations

import itertools
import random
import time
from pathlib import Path

from prometheus_client import REGISTRY

from gatewatch.streams.buffer import FrameSlot
from gatewatch.streams.camera import LIVE_ANALYZE_S, CameraWorker
from gatewatch.streams.camera_config import CameraConfig
from gatewatch.streams.camera_types import CapturedFrame
from gatewatch.streams.decode import VideoReader
from tests.rtsp_server import RtspServer, wait_until

RESTART_AFTER_S = 4.0
READ_S = 8.0


def test_rtsp_frame_time_rises_with_the_wall_through_a_timestamp_jump(clip: Path) -> None:
    server = RtspServer(clip, restart_after_s=RESTART_AFTER_S)
    with server, VideoReader(server.url, analyze_s=LIVE_ANALYZE_S) as reader:
        frames, arrivals = [], []
        start = time.monotonic()
        for frame in reader.frames():
            frames.append(frame)
            arrivals.append(time.monotonic())
            if arrivals[-1] - start > READ_S:
                break
    jumps = [f.clock_jump_s for f in frames if f.clock_jump_s]
    assert len(jumps) == 1 and jumps[0] < -2.0, jumps  # the restart, seen and re-anchored once
    assert reader.clock.discontinuities == 1
    times = [f.t_s for f in frames]
    assert all(b > a for a, b in itertools.pairwise(times))
    assert max(b - a for a, b in itertools.pairwise(times)) < 1.0  # no skipped seconds
    # Frame time kept pace with the wall: before, it stood still for the ~4 s the media time repeated.
    # From 1 s in: the first frames come in a burst, decoded from what FFmpeg buffered while probing.
    first = next(i for i, t in enumerate(arrivals) if t - arrivals[0] > 1.0)
    elapsed = arrivals[-1] - arrivals[first]
    assert abs((times[-1] - times[first]) - elapsed) < 0.8, (times[-1] - times[first], elapsed)


def test_a_camera_counts_the_jump_and_its_frames_keep_wall_pace(clip: Path) -> None:
    slot: FrameSlot[CapturedFrame] = FrameSlot(capacity=64)  # taken as they come, so none is superseded
    frames: list[CapturedFrame] = []

    def jumps() -> float:
        return REGISTRY.get_sample_value("gatewatch_camera_clock_jumps_total", {"camera": "restarting"}) or 0.0

    def frames_taken() -> int:  # the worker clears its slot when it stops: take them as they come
        while (item := slot.take()) is not None:
            frames.append(item)
        return len(frames)

    before = jumps()
    with RtspServer(clip, restart_after_s=RESTART_AFTER_S) as server:
        worker = CameraWorker(CameraConfig(id="restarting", source=server.url), slot, lambda _c: None, random.Random(0))
        worker.start()
        try:
            wait_until(lambda: jumps() > before, RESTART_AFTER_S + 10.0, "the jump counted")
            wait_until(lambda: frames_taken() >= 70, 10.0, "2 s of frames after the restart")
        finally:
            worker.stop()
            assert worker.join(10.0)
    assert jumps() == before + 1
    first = next(f for f in frames if f.captured_mono - frames[0].captured_mono > 1.0)  # after the first burst
    media = frames[-1].t_s - first.t_s
    captured = frames[-1].captured_mono - first.captured_mono
    assert abs(media - captured) < 0.8, (media, captured)
