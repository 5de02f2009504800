import cv2
import numpy as np
import pytest

from gatewatch.vision.analytics_config import ZoneConfig
from gatewatch.vision.detections import Detections
from gatewatch.vision.zones import ZoneSet

pytestmark = pytest.mark.unit  # fast: no servers, clips or model sessions (scripts/test -m unit)

CONCAVE = [(0.1, 0.1), (0.9, 0.1), (0.9, 0.9), (0.5, 0.4), (0.1, 0.9)]
TRIANGLE = [(0.6, 0.5), (0.95, 0.95), (0.3, 0.95)]


def feet(points: np.ndarray) -> Detections:
    """Detections whose bottom-centre anchors are ``points``."""
    x, y = points[:, 0], points[:, 1]
    xyxy = np.stack([x - 10, y - 50, x + 10, y], axis=1)
    return Detections(xyxy, np.full(len(points), 0.9), np.zeros(len(points)))


def test_membership_matches_cv2_point_polygon_test() -> None:
    zones = [ZoneConfig(id="gate", polygon=CONCAVE), ZoneConfig(id="road", polygon=TRIANGLE)]
    zone_set = ZoneSet(zones, [], 1280, 720)
    rng = np.random.default_rng(7)
    points = rng.uniform([0, 0], [1280, 720], size=(2000, 2)).astype(np.float32)
    detections = feet(points)
    anchors = detections.anchors()
    inside = zone_set.membership(detections)
    assert inside.shape == (2, 2000)
    for z, zone_id in enumerate(zone_set.zone_ids):
        contour = zone_set.pixel_polygons[zone_id].reshape(-1, 1, 2)
        expected = [cv2.pointPolygonTest(contour, (float(x), float(y)), False) > 0 for x, y in anchors]
        assert inside[z].tolist() == expected
    assert 0 < inside.sum() < inside.size


def test_masks_drop_anchors_inside() -> None:
    mask = [(0.0, 0.0), (0.5, 0.0), (0.5, 0.5), (0.0, 0.5)]
    zone_set = ZoneSet([], [mask], 200, 100)
    detections = feet(np.array([[50, 20], [150, 20], [50, 80], [99, 49]], np.float32))
    assert zone_set.keep_unmasked(detections).tolist() == [False, True, True, False]
    assert zone_set.keep_unmasked(Detections.empty()).shape == (0,)


def test_resize_rescales_polygons_and_area_fraction_is_resolution_free() -> None:
    zone = ZoneConfig(id="half", polygon=[(0, 0), (0.5, 0), (0.5, 1), (0, 1)])
    zone_set = ZoneSet([zone], [], 100, 100)
    assert abs(zone_set.area_fraction["half"] - 0.5) < 1e-9
    probe = feet(np.array([[75, 50]], np.float32))
    assert not zone_set.membership(probe)[0, 0]
    zone_set.resize(200, 100)
    np.testing.assert_allclose(zone_set.pixel_polygons["half"], [[0, 0], [100, 0], [100, 100], [0, 100]])
    assert zone_set.membership(probe)[0, 0]
    assert abs(zone_set.area_fraction["half"] - 0.5) < 1e-9
