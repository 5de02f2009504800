from pathlib import Path

import cv2
import numpy as np
import pytest

from gatewatch.streams.decode import VideoReader
from gatewatch.vision.analytics_config import ZoneConfig
from gatewatch.vision.detections import Detections
from gatewatch.vision.detector import Detector
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
        # Signed distance to the outline: inside, or on the edge within half a pixel (edges are inclusive).
        expected = [cv2.pointPolygonTest(contour, (float(x), float(y)), True) >= -0.5 for x, y in anchors]
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


WHOLE_FRAME = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]


def test_whole_frame_zone_keeps_people_cut_off_by_every_frame_edge() -> None:
    """Boxes clipped to a 1920x1080 frame, as the detector returns them: feet on the bottom row, boxes
    against the left and right edges and in the corners, all in the zone (no config could widen it)."""
    zone_set = ZoneSet([ZoneConfig(id="all", polygon=WHOLE_FRAME)], [], 1920, 1080)
    boxes = np.array(
        [
            [900, 700, 980, 1080],  # cut by the bottom: anchor (940, 1080)
            [0, 500, 60, 1080],  # bottom-left corner
            [1850, 600, 1920, 1080],  # bottom-right corner
            [0, 200, 40, 400],  # against the left edge
            [1880, 200, 1920, 400],  # against the right edge
            [700, 0, 760, 150],  # cut by the top
        ],
        np.float32,
    )
    detections = Detections(boxes, np.full(len(boxes), 0.9), np.zeros(len(boxes)))
    assert zone_set.membership(detections).tolist() == [[True] * len(boxes)]


def test_a_person_on_a_shared_border_is_in_both_zones_and_nobody_falls_between() -> None:
    left = ZoneConfig(id="left", polygon=[(0.0, 0.5), (0.5, 0.5), (0.5, 1.0), (0.0, 1.0)])
    right = ZoneConfig(id="right", polygon=[(0.5, 0.5), (1.0, 0.5), (1.0, 1.0), (0.5, 1.0)])
    zone_set = ZoneSet([left, right], [], 640, 480)
    anchors = np.array(
        [
            [320, 400],
            [319.6, 400],
            [320.4, 400],
            [318, 400],
            [322, 400],
            [320, 480],
            [100, 239],
        ]
    )
    inside = zone_set.membership(feet(anchors.astype(np.float32)))
    assert inside.tolist() == [
        [True, True, True, True, False, True, False],
        [True, True, True, False, True, True, False],
    ]
    on_floor = anchors[:, 1] >= 240
    assert inside.any(axis=0).tolist() == on_floor.tolist()  # every point on the lower half is in a zone


def test_mask_edges_are_inclusive_too() -> None:
    zone_set = ZoneSet([], [[(0.0, 0.0), (0.5, 0.0), (0.5, 1.0), (0.0, 1.0)]], 200, 100)
    kept = zone_set.keep_unmasked(feet(np.array([[100, 50], [101, 50], [100, 100]], np.float32)))
    assert kept.tolist() == [False, True, False]


def test_no_real_person_cut_off_by_the_frame_falls_out_of_a_whole_frame_zone(
    detector: Detector, samples_dir: Path
) -> None:
    """mot17-04-excerpt.mp4 (elevated street, people walk out at the bottom): the detector's boxes are
    clipped to the frame; every person is in the zone, those standing on its bottom edge included."""
    touching = outside = people = 0
    with VideoReader(str(samples_dir / "mot17-04-excerpt.mp4")) as reader:
        for frame in reader.frames():
            found = detector.detect(frame.image)
            found = found[found.class_id == 0]
            height, width = frame.image.shape[:2]
            zone_set = ZoneSet([ZoneConfig(id="all", polygon=WHOLE_FRAME)], [], width, height)
            people += len(found)
            touching += int((found.xyxy[:, 3] >= height).sum())
            outside += int((~zone_set.membership(found)[0]).sum())
    assert people > 50 and touching >= 1, (people, touching)  # the case is really there
    assert outside == 0
