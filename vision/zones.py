"""Zones and masks in pixel space: which detections stand where."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from gatewatch.vision.analytics_config import Point, ZoneConfig
from gatewatch.vision.detections import Detections
from gatewatch.vision.geometry import points_in_polygon, polygon_area

# Half a pixel: anchors and polygons are float32 pixels, scaled from normalised coordinates.
EDGE_TOLERANCE_PX = 0.5


class ZoneSet:
    """The camera's zones and masks, scaled to the current frame size.

    A detection belongs where its bottom-centre anchor stands (feet, not head): a person behind a
    gate line is judged by where they are on the ground. Zone and mask edges are inclusive, within
    ``EDGE_TOLERANCE_PX``: boxes are clipped to the frame, so everyone cut off by the bottom of the
    picture stands exactly on a whole-frame zone's bottom edge, and a person on a border two zones
    share counts in both (each zone's count is about that zone; nobody on a border is lost).
    Pixel polygons are recomputed only when the frame size changes (``resize``); every per-frame
    test is vectorised over detections.
    """

    def __init__(self, zones: list[ZoneConfig], masks: Sequence[Sequence[Point]], width: int, height: int) -> None:
        self.zone_ids: tuple[str, ...] = tuple(zone.id for zone in zones)
        self._zones = [np.asarray(zone.polygon, np.float64) for zone in zones]
        self._masks = [np.asarray(mask, np.float64) for mask in masks]
        # Normalised polygons, so the fraction is the same at every resolution.
        self.area_fraction: dict[str, float] = {z: polygon_area(p) for z, p in zip(self.zone_ids, self._zones)}
        self.width = self.height = 0
        self.pixel_polygons: dict[str, np.ndarray] = {}
        self.mask_polygons: list[np.ndarray] = []
        self.resize(width, height)

    def resize(self, width: int, height: int) -> None:
        """Scale polygons to a ``width`` x ``height`` frame (float32 pixels; round for cv2 drawing)."""
        if (width, height) == (self.width, self.height):
            return
        if width <= 0 or height <= 0:
            raise ValueError(f"frame size must be positive, got {width}x{height}")
        scale = np.array([width, height], np.float64)
        self.width, self.height = width, height
        self.pixel_polygons = {z: (p * scale).astype(np.float32) for z, p in zip(self.zone_ids, self._zones)}
        self.mask_polygons = [(m * scale).astype(np.float32) for m in self._masks]

    def keep_unmasked(self, detections: Detections) -> np.ndarray:
        """(N,) bool: False where the anchor stands inside any mask."""
        anchors = detections.anchors()
        masked = np.zeros(len(detections), bool)
        for mask in self.mask_polygons:
            masked |= points_in_polygon(anchors, mask, EDGE_TOLERANCE_PX)
        return ~masked

    def membership(self, detections: Detections) -> np.ndarray:
        """(Z, N) bool: zone z (in ``zone_ids`` order) contains detection n's anchor."""
        anchors = detections.anchors()
        inside = np.zeros((len(self.zone_ids), len(detections)), bool)
        for z, polygon in enumerate(self.pixel_polygons.values()):
            inside[z] = points_in_polygon(anchors, polygon, EDGE_TOLERANCE_PX)
        return inside
