"""Frame time from media timestamps: monotonic seconds from the first frame that never jump.

Media timestamps are smooth frame to frame (unlike arrival times, which carry network jitter), so
they set a frame's time, but a source may break them. An RTSP camera's RTP timestamps can jump
when FFmpeg re-bases them on an RTCP sender report (NTP-synced) or when the camera restarts its
encoder or stream; a concatenated recording can start its timestamps again. Taken as they are, a
jump back freezes the clock (frames only creep ahead by a millisecond each until media time catches
up: no detection falls due, dwell times stop), and a jump ahead skips seconds that never passed.

So a step larger than a bound is a discontinuity: the clock is re-anchored there, advancing by the
time that really passed (live: the wall time between the two frames' arrivals; a file: one frame
interval), and the discontinuity is counted. A recording's jump ahead is kept: a gap in a file's
timestamps is a gap in what was recorded. Small steps back (B-frames whose timestamps a remux left
in decode order, jitter) are not discontinuities: the frame gets 1 ms after the previous one, and
the clock follows the media timestamps again as soon as they pass it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

MIN_STEP_S = 1e-3  # two frames never share a time: rules and the tracker need a strictly rising clock
MIN_BOUND_S = 1.0  # steps up to this are the source's own (reordering, jitter, a few lost frames)
BOUND_FRAMES = 4  # at low frame rates the bound is a few frame intervals


class MediaClock:
    """``time_of(media_s)`` for each frame in order; ``discontinuities`` counts re-anchorings."""

    def __init__(self, fps: float, *, live: bool, now: Callable[[], float] = time.monotonic) -> None:
        self.frame_interval_s = 1.0 / fps
        self.bound_s = max(MIN_BOUND_S, BOUND_FRAMES * self.frame_interval_s)
        self.live = live
        self._now = now
        self._origin: float | None = None  # media time that maps to the clock's 0 (moved by re-anchoring)
        self._previous_media = 0.0
        self._frames = 0
        self._previous_arrival = 0.0
        self.last_s = 0.0
        self.discontinuities = 0
        self.jump_s = 0.0  # the media step this frame re-anchored the clock at (negative: back), else 0

    def time_of(self, media_s: float | None) -> float:
        """The clock time of the next frame, whose media timestamp is ``media_s`` seconds (None: it has none)."""
        arrival = self._now()
        self.jump_s = 0.0
        first = self._frames == 0
        self._frames += 1
        if media_s is None and self._origin is not None:  # a frame without a timestamp: one interval on
            media_s = self._previous_media + self.frame_interval_s
        if self._origin is None:
            # Until the first timestamp (an RTSP stream's first frame has none) one frame interval per frame
            # from 0; the first timestamp then continues from there, wherever the source's timestamps start.
            self.last_s = 0.0 if first else self.last_s + self.frame_interval_s
            if media_s is not None:
                self._origin = media_s - self.last_s
        else:
            assert media_s is not None
            step = media_s - self._previous_media
            if self._is_discontinuity(step):
                advance = arrival - self._previous_arrival if self.live else self.frame_interval_s
                self._origin = media_s - (self.last_s + max(advance, MIN_STEP_S))
                self.discontinuities += 1
                self.jump_s = step
            self.last_s = max(media_s - self._origin, self.last_s + MIN_STEP_S)
        if media_s is not None:
            self._previous_media = media_s
        self._previous_arrival = arrival
        return self.last_s

    def _is_discontinuity(self, step: float) -> bool:
        return step < -self.bound_s or (self.live and step > self.bound_s)
