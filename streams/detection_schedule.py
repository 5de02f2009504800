"""Which frames go to the detector: media-time ticks, shared by clip replay and the live scheduler.

Detection is scheduled by media time, never by frame count, so the same ``detection_fps`` means the
same analytics on a 10 fps and a 30 fps clip (and on a live camera that drops frames).
"""

from __future__ import annotations

import math

# Container timestamps are rounded (1 ms in Matroska, 1/90000 s in MPEG-TS): a frame this close
# before its due time counts as on time, or a 10 fps schedule on a 10 fps clip would skip frames.
DUE_TOLERANCE_S = 1e-3


class DetectionSchedule:
    """Decides which frames go to the detector: the first frame at or after each 1/fps tick of media time.

    Ticks sit on a fixed grid (k / fps), so rounding never drifts the rate; when frames arrive late
    (a gap in the stream) the missed ticks are skipped instead of being caught up in a burst.
    """

    def __init__(self, detection_fps: float) -> None:
        if not detection_fps > 0:
            raise ValueError(f"detection_fps must be > 0, got {detection_fps}")
        self.period_s = 1.0 / detection_fps
        self._next_tick = 0

    def due(self, t_s: float) -> bool:
        t = t_s + DUE_TOLERANCE_S
        if t < self._next_tick * self.period_s:
            return False
        self._next_tick = math.floor(t / self.period_s) + 1
        return True
