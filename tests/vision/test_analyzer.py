import datetime as dt
import time
from collections.abc import Callable, Sequence

import numpy as np
import pytest

from gatewatch.vision.analytics_config import (
    CrowdingRuleConfig,
    CrowdingThresholds,
    LoiteringRuleConfig,
    Polygon,
    ScheduleConfig,
    TrackerConfig,
    WeaponRuleConfig,
    WeeklyWindow,
    ZoneConfig,
)
from gatewatch.vision.analyzer import CameraAnalyzer, FrameAnalysis
from gatewatch.vision.detections import Detections
from gatewatch.vision.types import FrameMeta

pytestmark = pytest.mark.unit  # fast: no servers, clips or model sessions (scripts/test -m unit)

CLASSES = ["person", "bicycle", "knife"]
PERSON, KNIFE = 0, 2
Row = Sequence[float]  # x, y (bottom centre, px), class id, confidence
W, H = 1280, 720
DT = 0.2
T0 = dt.datetime(2024, 9, 2, 7, 40, tzinfo=dt.UTC)  # Monday 15:40 in Shanghai
LEFT = [(0.0, 0.0), (0.5, 0.0), (0.5, 1.0), (0.0, 1.0)]
RIGHT = [(0.5, 0.0), (1.0, 0.0), (1.0, 1.0), (0.5, 1.0)]
PICKUP = ScheduleConfig(timezone="Asia/Shanghai", windows=[WeeklyWindow(days=["mon"], start="15:30", end="17:00")])


def meta(t: float) -> FrameMeta:
    return FrameMeta(t_s=t, wall=T0 + dt.timedelta(seconds=t), width=W, height=H, index=round(t * 25))


def boxes(rows: Sequence[Row]) -> Detections:
    """Rows of (x, y, class, confidence): box 40 x 100 px standing at (x, y)."""
    if not rows:
        return Detections.empty()
    a = np.asarray(rows, np.float64)
    xyxy = np.stack([a[:, 0] - 20, a[:, 1] - 100, a[:, 0] + 20, a[:, 1]], axis=1)
    return Detections(xyxy, a[:, 3], a[:, 2])


def analyzer(
    zones: list[ZoneConfig], masks: Sequence[Polygon] = (), schedules: dict[str, ScheduleConfig] | None = None
) -> CameraAnalyzer:
    return CameraAnalyzer("cam1", zones, list(masks), CLASSES, TrackerConfig(), schedules or {})


def replay(an: CameraAnalyzer, scene: Callable[[float], Sequence[Row]], seconds: float) -> list[FrameAnalysis]:
    return [an.update(boxes(scene(k * DT)), meta(k * DT)) for k in range(round(seconds / DT))]


def test_weapon_and_crowding_events_end_to_end() -> None:
    zones = [
        ZoneConfig(id="gate", polygon=LEFT, weapon=WeaponRuleConfig(classes=["knife"], confirm_k=2, confirm_n=3)),
        ZoneConfig(
            id="yard",
            polygon=RIGHT,
            crowding=CrowdingRuleConfig(
                min_count=8, min_duration_s=1, schedules={"pickup": CrowdingThresholds(min_count=3)}
            ),
        ),
    ]
    an = analyzer(zones, schedules={"pickup": PICKUP})

    def scene(t: float) -> Sequence[Row]:
        crowd = [(700 + 60 * i + 10 * t, 400 + 30 * i, PERSON, 0.8) for i in range(4)]
        knife = [(200 + 20 * t, 500, KNIFE, 0.9)] if t >= 1.0 else []
        return crowd + knife

    frames = replay(an, scene, 4)
    events = [e for f in frames for e in f.events]
    assert {(e.type, e.zone, e.lifecycle) for e in events} == {("weapon", "gate", "new"), ("crowding", "yard", "new")}
    crowding = next(e for e in events if e.type == "crowding")
    assert crowding.schedule_window == "pickup" and crowding.thresholds["min_count"] == 3
    assert crowding.start_s == pytest.approx(1.0)
    assert frames[-1].zone_counts == {"gate": 0, "yard": 4}
    assert {e.type for e in frames[-1].active} == {"weapon", "crowding"}
    ended = an.close(meta(4.0))
    assert sorted(e.type for e in ended) == ["crowding", "weapon"]
    for e in events + ended:
        assert e.id and e.type and e.camera == "cam1" and e.zone in ("gate", "yard")
        assert e.start_s >= 0 and 0 < e.confidence <= 1 and e.thresholds
    assert all(e.lifecycle == "end" and e.detail["end_reason"] == "stream_end" for e in ended)
    assert an.close(meta(4.2)) == []


def test_loitering_through_the_tracker_and_masks() -> None:
    post = (900, 600, PERSON, 0.9)  # a post the model takes for a person, inside the mask
    zones = [ZoneConfig(id="gate", polygon=[(0, 0), (1, 0), (1, 1), (0, 1)], loitering=LoiteringRuleConfig(dwell_s=5))]
    mask = [(0.65, 0.75), (0.75, 0.75), (0.75, 0.9), (0.65, 0.9)]
    an = analyzer(zones, masks=[mask])

    def scene(t: float) -> Sequence[Row]:
        return [(300 + 80 * np.sin(t), 400, PERSON, 0.9), post]

    frames = replay(an, scene, 7)
    assert all(len(f.detections) == 1 for f in frames)  # the post is masked out
    new = [e for f in frames for e in f.events if e.lifecycle == "new"]
    assert len(new) == 1 and new[0].type == "loitering"
    assert new[0].start_s == pytest.approx(5.2)  # confirmed at the second frame, 5 s before
    assert new[0].track_ids == tuple(frames[-1].detections.tracker_id.tolist())


def test_coast_draws_predicted_tracks_without_evaluating_rules() -> None:
    zones = [ZoneConfig(id="gate", polygon=LEFT, loitering=LoiteringRuleConfig(dwell_s=0.1))]
    an = analyzer(zones)
    frames = replay(an, lambda t: [(100 + 50 * t, 400, PERSON, 0.9)], 1)
    coasted = an.coast(meta(1.0))
    assert coasted.events == [] and coasted.zone_counts == frames[-1].zone_counts
    assert coasted.detections.tracker_id.tolist() == frames[-1].detections.tracker_id.tolist()
    assert coasted.detections.xyxy[0, 0] > frames[-1].detections.xyxy[0, 0]  # moved on
    assert [e.type for e in coasted.active] == ["loitering"]


def test_reset_starts_a_new_timeline() -> None:
    zones = [ZoneConfig(id="gate", polygon=LEFT, loitering=LoiteringRuleConfig(dwell_s=1, cooldown_s=600))]
    an = analyzer(zones)
    scene = lambda t: [(100 + 40 * np.sin(3 * t), 400, PERSON, 0.9)]  # noqa: E731
    assert any(e.lifecycle == "new" for f in replay(an, scene, 2) for e in f.events)
    an.close(meta(2.0))
    an.reset()
    # Same media times again (clip restarted): no cooldown carried over, new ids.
    again = replay(an, scene, 2)
    assert any(e.lifecycle == "new" for f in again for e in f.events)


def test_unknown_class_name_error_mentions_field_path_and_classes() -> None:
    zones = [ZoneConfig(id="gate", polygon=LEFT, weapon=WeaponRuleConfig(classes=["knife", "pistol"]))]
    with pytest.raises(ValueError) as error:
        analyzer(zones)
    assert "zones.gate.weapon.classes" in str(error.value)
    assert "'pistol'" in str(error.value) and "'bicycle'" in str(error.value)
    zones = [ZoneConfig(id="yard", polygon=LEFT, crowding=CrowdingRuleConfig(min_count=3, classes=["people"]))]
    with pytest.raises(ValueError, match=r"zones\.yard\.crowding\.classes"):
        analyzer(zones)


def test_unknown_schedule_name_is_a_config_error() -> None:
    crowding = CrowdingRuleConfig(min_count=3, schedules={"pikcup": CrowdingThresholds(min_count=2)})
    with pytest.raises(ValueError, match=r"zones\.yard\.crowding\.schedules.*pikcup.*pickup"):
        analyzer([ZoneConfig(id="yard", polygon=LEFT, crowding=crowding)], schedules={"pickup": PICKUP})


def test_sixty_detections_are_handled_in_bulk() -> None:
    zones = [
        ZoneConfig(
            id=f"z{i}",
            polygon=[(i / 4, 0.0), ((i + 1) / 4, 0.0), ((i + 1) / 4, 1.0), (i / 4, 1.0)],
            crowding=CrowdingRuleConfig(min_count=10, min_duration_s=0.4),
            loitering=LoiteringRuleConfig(dwell_s=30),
        )
        for i in range(4)
    ]
    an = analyzer(zones)
    grid = [(30 + 100 * (i % 12), 150 + 120 * (i // 12), PERSON, 0.9) for i in range(60)]
    started = time.perf_counter()
    frames = replay(an, lambda t: [(x + 10 * t, y, c, s) for x, y, c, s in grid], 4)
    elapsed = time.perf_counter() - started
    last = frames[-1]
    assert len(last.detections) == 60 and (last.detections.tracker_id >= 1).all()
    assert sum(last.zone_counts.values()) == 60
    assert sorted(e.zone for e in last.active) == [f"z{i}" for i in range(4)]
    assert elapsed / len(frames) < 0.05  # generous: ~1 ms per frame on a laptop core
