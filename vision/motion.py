"""Motion gating: skip the detector on frames where nothing moves inside the camera's zones.

A gate camera watches an empty street most of the day; running the detector on identical frames only
costs CPU. The gate compares a small grey copy of each frame that is due for detection against a
running background (exponential average), counts the pixels that changed by more than
``pixel_delta`` inside the union of the zones (minus the masks), and lets the frame through when
that share reaches ``min_changed``. Frames it holds back are coasted. While the camera tracks
something every due frame is detected, so the gate saves work on empty scenes only; the first frame
of a timeline, a frame after a gap, and any frame ``max_skip_s`` after the last detection always go
through, so nothing stays unseen for long.

Pure: numpy + OpenCV on the frame it is given, no clocks but the frame times.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
from pydantic import Field

from gatewatch.vision.analytics_config import Point, StrictModel

# A frame this long after the previous one checked follows a gap (stall, reconnect, dropped frames):
# the background is stale, so the frame is detected and the background restarts from it.
GAP_S = 1.0


class MotionGateConfig(StrictModel):
    min_changed: float = Field(
        0.002,
        gt=0.0,
        le=1.0,
        description="Share of the zones' pixels (after downscaling) that must change for a frame to count as "
        "moving; 0.002 is about one walking person far from a 720p camera.",
    )
    pixel_delta: int = Field(
        20, ge=1, le=255, description="Grey-level change (0-255) from the background at which a pixel has changed."
    )
    width: int = Field(
        160, ge=32, le=1920, description="Width in pixels the frame is reduced to before comparing (aspect kept)."
    )
    background_alpha: float = Field(
        0.2,
        gt=0.0,
        le=1.0,
        description="Weight of each checked frame in the running background; higher forgets parked objects "
        "and light changes sooner.",
    )
    max_skip_s: float = Field(
        2.0,
        gt=0.0,
        le=60.0,
        description="Longest time between detections even without motion, so tracks and rules (loitering of a "
        "person standing still) are refreshed.",
    )


Polygons = Sequence[Sequence[Point]]


class MotionGate:
    """One camera's gate; call ``should_detect`` only for frames due for detection."""

    def __init__(self, config: MotionGateConfig) -> None:
        self.config = config
        self.last_changed: float | None = None  # share of changed zone pixels at the last check (for stats)
        self._background: np.ndarray | None = None
        self._timeline: int | None = None
        self._last_t: float | None = None
        self._last_detect_t: float | None = None
        self._mask_key: tuple[object, ...] | None = None
        self._mask = np.zeros((0, 0), bool)

    def should_detect(
        self, image: np.ndarray, t_s: float, timeline: int, zones: Polygons, masks: Polygons, busy: bool = False
    ) -> bool:
        """True when the frame must go to the detector; updates the background either way.

        ``busy``: the camera is tracking something; then every due frame is detected (still objects
        matter: a motionless weapon must be confirmed at the full rate).
        """
        small = self._grey(image)
        mask = self._zone_mask(small.shape, zones, masks)
        restart = timeline != self._timeline or self._background is None or self._background.shape != small.shape
        gap = self._last_t is not None and t_s - self._last_t > GAP_S
        self._timeline, self._last_t = timeline, t_s
        if restart or gap:
            self._background = small.astype(np.float32)
            self.last_changed = None
            return self._detected(t_s)
        assert self._background is not None
        changed = cv2.absdiff(small, cv2.convertScaleAbs(self._background)) > self.config.pixel_delta
        area = int(np.count_nonzero(mask))
        self.last_changed = float(np.count_nonzero(changed & mask)) / area if area else 0.0
        cv2.accumulateWeighted(small, self._background, self.config.background_alpha)
        stale = self._last_detect_t is None or t_s - self._last_detect_t >= self.config.max_skip_s
        if busy or stale or self.last_changed >= self.config.min_changed:
            return self._detected(t_s)
        return False

    def _detected(self, t_s: float) -> bool:
        self._last_detect_t = t_s
        return True

    def _grey(self, image: np.ndarray) -> np.ndarray:
        height, width = image.shape[:2]
        size = (self.config.width, max(1, round(height * self.config.width / width)))
        # INTER_AREA averages blocks: sensor noise cancels out before the difference is taken.
        small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        return cv2.cvtColor(small, cv2.COLOR_BGR2GRAY) if small.ndim == 3 else small

    def _zone_mask(self, shape: tuple[int, ...], zones: Polygons, masks: Polygons) -> np.ndarray:
        """Union of the zones minus the masks at ``shape``; the whole frame when there are no zones."""
        key = (shape, tuple(map(tuple, zones)), tuple(map(tuple, masks)))
        if key != self._mask_key:
            self._mask_key, self._mask = key, _rasterise(shape[:2], zones, masks)
        return self._mask


def _rasterise(shape: tuple[int, ...], zones: Polygons, masks: Polygons) -> np.ndarray:
    height, width = shape[0], shape[1]
    scale = np.array([width, height], np.float64)

    def pixels(polygon: Sequence[Point]) -> np.ndarray:
        return np.round(np.asarray(polygon, np.float64) * scale).astype(np.int32)

    canvas = np.full((height, width), 0 if zones else 1, np.uint8)
    if zones:
        cv2.fillPoly(canvas, [pixels(p) for p in zones], 1)
    if masks:
        cv2.fillPoly(canvas, [pixels(p) for p in masks], 0)
    return canvas.astype(bool)
