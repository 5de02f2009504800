import numpy as np
import pytest
from numpy.typing import ArrayLike

from gatewatch.vision.analytics_config import TrackerConfig
from gatewatch.vision.detections import Detections
from gatewatch.vision.tracker import ByteTracker, box_iou, greedy_match

pytestmark = pytest.mark.unit  # fast: no servers, clips or model sessions (scripts/test -m unit)

PERSON, BAG = 0, 1
DT = 0.2  # 5 detection frames per second


def boxes(xyxy: ArrayLike, conf: float = 0.9, cls: int = PERSON) -> Detections:
    xyxy = np.asarray(xyxy, np.float32).reshape(-1, 4)
    n = len(xyxy)
    return Detections(xyxy, np.broadcast_to(np.float32(conf), n), np.broadcast_to(np.int32(cls), n))


def walker(x0: float, y0: float, vx: float, vy: float, t: float) -> list[float]:
    x, y = x0 + vx * t, y0 + vy * t
    return [x, y, x + 40, y + 100]


def test_box_iou_matches_hand_computation() -> None:
    a = np.array([[0, 0, 10, 10]], float)
    b = np.array([[5, 0, 15, 10], [20, 20, 30, 30], [0, 0, 10, 10]], float)
    np.testing.assert_allclose(box_iou(a, b), [[50 / 150, 0.0, 1.0]])


def test_greedy_match_takes_best_pairs_first() -> None:
    score = np.array([[0.9, 0.8], [0.85, 0.1]])
    rows, cols = greedy_match(score, 0.2)
    assert sorted(zip(rows.tolist(), cols.tolist())) == [(0, 0)]
    rows, cols = greedy_match(np.array([[0.9, 0.8], [0.85, 0.3]]), 0.2)
    assert sorted(zip(rows.tolist(), cols.tolist())) == [(0, 0), (1, 1)]


def test_ids_confirm_after_min_hits_and_stay_stable_for_moving_boxes() -> None:
    tracker = ByteTracker(TrackerConfig(min_hits=2))
    walkers = [(100, 200, 60, 0), (400, 220, -50, 10), (700, 100, 0, 40)]
    seen: list[list[int]] = []
    for k in range(50):  # 10 s at 5 fps
        t = k * DT
        out = tracker.update(boxes([walker(*w, t) for w in walkers]), t)
        assert np.allclose(out.xyxy, [walker(*w, t) for w in walkers])  # same rows, same order
        seen.append(out.tracker_id.tolist())
    assert seen[0] == [-1, -1, -1]
    assert all(ids == seen[1] for ids in seen[1:])
    assert len(set(seen[1])) == 3 and min(seen[1]) >= 1


def test_reacquire_after_one_second_gap_keeps_id() -> None:
    tracker = ByteTracker(TrackerConfig(lost_s=2.0))
    w = (100, 200, 120, 0)  # brisk walk: moves more than its own width during the gap
    t = 0.0
    for k in range(5):
        t = k * DT
        ids = tracker.update(boxes([walker(*w, t)]), t).tracker_id
    first = int(ids[0])
    for k in range(5, 10):  # hidden for 1 s
        assert len(tracker.update(Detections.empty(), k * DT)) == 0
    t = 10 * DT
    assert tracker.update(boxes([walker(*w, t)]), t).tracker_id.tolist() == [first]


def test_reacquire_target_that_stopped_while_hidden() -> None:
    tracker = ByteTracker(TrackerConfig())
    for k in range(5):
        out = tracker.update(boxes([walker(100, 200, 120, 0, k * DT)]), k * DT)
    first = int(out.tracker_id[0])
    tracker.update(Detections.empty(), 1.0)
    stopped = walker(100, 200, 120, 0, 4 * DT)
    assert tracker.update(boxes([stopped]), 2.0).tracker_id.tolist() == [first]


def test_track_retires_after_lost_s() -> None:
    tracker = ByteTracker(TrackerConfig(lost_s=1.0))
    box = [100, 100, 140, 200]
    tracker.update(boxes([box]), 0.0)
    first = int(tracker.update(boxes([box]), 0.2).tracker_id[0])
    tracker.update(Detections.empty(), 1.5)
    tracker.update(boxes([box]), 1.6)
    again = tracker.update(boxes([box]), 1.8).tracker_id.tolist()
    assert again != [first] and again[0] > first


def test_ids_do_not_jump_classes() -> None:
    tracker = ByteTracker(TrackerConfig())
    box = [100, 100, 140, 200]
    tracker.update(boxes([box]), 0.0)
    person = int(tracker.update(boxes([box]), 0.2).tracker_id[0])
    both = Detections.concatenate([boxes([box], cls=BAG), boxes([box], cls=PERSON)])
    out = tracker.update(both, 0.4)
    assert out.tracker_id.tolist() == [-1, person]  # the bag is a new, unconfirmed track
    out = tracker.update(boxes([box], cls=BAG), 0.6)
    assert out.tracker_id[0] not in (-1, person)


def test_low_confidence_boxes_extend_live_tracks_but_never_start_one() -> None:
    tracker = ByteTracker(TrackerConfig(high_confidence=0.5))
    for k in range(3):
        out = tracker.update(boxes([[100 + 5 * k, 100, 140 + 5 * k, 200]], conf=0.8), k * DT)
    person = int(out.tracker_id[0])
    # Partially occluded: weak score, still the same person.
    assert tracker.update(boxes([[115, 100, 155, 200]], conf=0.2), 0.6).tracker_id.tolist() == [person]
    # A weak box elsewhere is noise: it never becomes a track.
    for k in range(5):
        assert tracker.update(boxes([[600, 100, 640, 200]], conf=0.2), 1.0 + k * DT).tracker_id.tolist() == [-1]


def test_predicted_extrapolates_in_pixels_per_second() -> None:
    tracker = ByteTracker(TrackerConfig())
    for k in range(5):
        out = tracker.update(boxes([walker(100, 200, 50, 0, k * DT)]), k * DT)
    predicted = tracker.predicted(0.8 + 0.5)
    assert predicted.tracker_id.tolist() == out.tracker_id.tolist()
    np.testing.assert_allclose(predicted.xyxy[0], walker(100, 200, 50, 0, 1.3), atol=0.5)


def test_ids_increase_monotonically_across_reset() -> None:
    tracker = ByteTracker(TrackerConfig(min_hits=1))
    a = int(tracker.update(boxes([[0, 0, 10, 10]]), 0.0).tracker_id[0])
    tracker.reset()
    assert tracker.predicted(0.1).tracker_id.size == 0
    b = int(tracker.update(boxes([[0, 0, 10, 10]]), 0.0).tracker_id[0])
    assert b > a


def stand(tracker: ByteTracker, box: list[float], until: float, conf: float = 0.8) -> int:
    """A person standing on ``box`` (jittering a pixel) from t=0 to ``until``; returns their id."""
    out = None
    for k in range(round(until / DT)):
        jitter = (k % 2) * 1.0
        out = tracker.update(boxes([[box[0] + jitter, box[1], box[2] + jitter, box[3]]], conf=conf), k * DT)
    assert out is not None and out.tracker_id[0] >= 0
    return int(out.tracker_id[0])


def test_a_weak_box_revives_a_person_who_stood_still_but_not_a_walker() -> None:
    tracker = ByteTracker(TrackerConfig(high_confidence=0.5))
    person = stand(tracker, [100, 100, 140, 200], until=3.0)
    tracker.update(Detections.empty(), 3.0)  # missed once: a score dip or a passer-by in front
    assert tracker.update(boxes([[101, 100, 141, 200]], conf=0.35), 3.2).tracker_id.tolist() == [person]

    walking = ByteTracker(TrackerConfig(high_confidence=0.5))
    for k in range(10):
        out = walking.update(boxes([walker(300, 100, 60, 0, k * DT)]), k * DT)
    walking.update(Detections.empty(), 2.0)
    ahead = walker(300, 100, 60, 0, 2.2)  # where the walker went, seen weakly: could be anyone
    assert int(out.tracker_id[0]) >= 0
    assert walking.update(boxes([ahead], conf=0.35), 2.2).tracker_id.tolist() == [-1]


def test_a_person_who_stood_still_is_kept_still_lost_s_not_lost_s() -> None:
    config = TrackerConfig(lost_s=2.0, still_lost_s=8.0)
    tracker = ByteTracker(config)
    person = stand(tracker, [100, 100, 140, 200], until=3.0)
    tracker.update(Detections.empty(), 3.0)
    assert tracker.update(boxes([[100, 100, 140, 200]]), 9.0).tracker_id.tolist() == [person]  # hidden 6 s
    tracker.update(Detections.empty(), 9.2)
    tracker.update(boxes([[100, 100, 140, 200]]), 17.4)  # hidden 8.2 s: retired, a new track starts
    assert tracker.update(boxes([[100, 100, 140, 200]]), 17.6).tracker_id[0] > person


def test_a_tracked_passer_by_walking_over_a_hidden_person_keeps_their_own_id() -> None:
    tracker = ByteTracker(TrackerConfig())
    spot = [300.0, 100.0, 340.0, 200.0]
    ids: dict[str, int] = {}
    for k in range(25):  # the person stands at the spot; a walker comes from the left at 80 px/s
        t = k * DT
        # From 3 s the walker covers the spot (exactly at 3.0 s) and hides the person until 4.8 s.
        rows: list[list[float]] = [walker(60, 100, 80, 0, t)] + ([spot] if t < 3.0 else [])
        out = tracker.update(boxes(rows), t)
        if k == 2:
            ids = {"walker": int(out.tracker_id[0]), "person": int(out.tracker_id[1])}
        if k >= 2:
            assert out.tracker_id[0] == ids["walker"]
    back = tracker.update(boxes([walker(60, 100, 80, 0, 5.0), spot]), 5.0).tracker_id.tolist()
    assert back == [ids["walker"], ids["person"]]
