import datetime as dt
from collections.abc import Callable

import numpy as np
import pytest

from gatewatch.vision.analytics_config import (
    CrowdingRuleConfig,
    CrowdingThresholds,
    LoiteringRuleConfig,
    ScheduleConfig,
    WeaponRuleConfig,
    WeeklyWindow,
)
from gatewatch.vision.detections import Detections
from gatewatch.vision.rules.base import RuleState
from gatewatch.vision.rules.crowding import CrowdingRule
from gatewatch.vision.rules.loitering import LoiteringRule
from gatewatch.vision.rules.weapon import WeaponRule
from gatewatch.vision.schedule import ScheduleBook
from gatewatch.vision.types import FrameMeta

pytestmark = pytest.mark.unit  # fast: no servers, clips or model sessions (scripts/test -m unit)

CLASSES = ["person", "knife", "gun"]
PERSON, KNIFE, GUN = 0, 1, 2
DT = 0.2
T0 = dt.datetime(2024, 9, 2, 0, 0, tzinfo=dt.UTC)  # a Monday


def meta(t: float) -> FrameMeta:
    return FrameMeta(t_s=t, wall=T0 + dt.timedelta(seconds=t), width=1280, height=720)


def dets(rows: list[tuple[float, float, int, float, int]]) -> Detections:
    """Rows of (anchor x, anchor y, class, confidence, track id) with 100 px tall boxes."""
    if not rows:
        return Detections.empty()
    a = np.asarray(rows, np.float64)
    xyxy = np.stack([a[:, 0] - 20, a[:, 1] - 100, a[:, 0] + 20, a[:, 1]], axis=1)
    return Detections(xyxy, a[:, 3], a[:, 2], a[:, 4])


def people(n: int, conf: float = 0.9) -> Detections:
    return dets([(50.0 * i, 400, PERSON, conf, i + 1) for i in range(n)])


def frames(seconds: float, start: float = 0.0) -> list[float]:
    return [start + k * DT for k in range(round(seconds / DT))]


# ---------------------------------------------------------------- weapon


def test_weapon_single_frame_blip_does_not_fire() -> None:
    rule = WeaponRule(WeaponRuleConfig(classes=["knife", "gun"], confirm_k=3, confirm_n=5), CLASSES)
    knife = dets([(100, 400, KNIFE, 0.8, 7)])
    states = [rule.observe(knife if k == 3 else Detections.empty(), meta(t), ()) for k, t in enumerate(frames(4))]
    assert not any(s.firing for s in states)


def test_weapon_k_of_n_fires_then_clears_after_clear_s() -> None:
    rule = WeaponRule(WeaponRuleConfig(classes=["gun"], confirm_k=3, confirm_n=5, clear_s=1.0), CLASSES)
    gun = dets([(100, 400, GUN, 0.8, 7)])
    seen = [True, False, True, False, True, True]  # third sighting in five frames confirms
    states = [rule.observe(gun if s else Detections.empty(), meta(k * DT), ()) for k, s in enumerate(seen)]
    assert [s.firing for s in states] == [False, False, False, False, True, True]
    assert states[-1].track_ids == (7,) and states[-1].confidence == pytest.approx(0.8)
    assert states[-1].thresholds["confirm_k"] == 3
    # Gone: still firing for clear_s, then quiet.
    t_last = (len(seen) - 1) * DT
    quiet = {t: rule.observe(Detections.empty(), meta(t), ()).firing for t in frames(2.0, t_last + DT)}
    assert all(f for t, f in quiet.items() if t - t_last < 1.0 - 1e-9)
    assert not any(f for t, f in quiet.items() if t - t_last >= 1.0 - 1e-9)


def test_weapon_ignores_low_confidence_and_other_classes() -> None:
    rule = WeaponRule(WeaponRuleConfig(classes=["gun"], min_confidence=0.6, confirm_k=1, confirm_n=1), CLASSES)
    weak_gun_and_knife = dets([(100, 400, GUN, 0.4, -1), (200, 400, KNIFE, 0.9, -1)])
    assert not rule.observe(weak_gun_and_knife, meta(0.0), ()).firing


# ---------------------------------------------------------------- loitering


def walk(
    rule: LoiteringRule, seconds: float, path: Callable[[float], tuple[float, float, int] | None], start: float = 0.0
) -> list[tuple[float, RuleState]]:
    """Feed one track whose (x, y, id) at time t is ``path(t)`` (None = not seen)."""
    states = []
    for t in frames(seconds, start):
        at = path(t)
        rows = [] if at is None else [(at[0], at[1], PERSON, 0.9, at[2])]
        states.append((t, rule.observe(dets(rows), meta(t), ())))
    return states


def sway(t: float, track: int = 3) -> tuple[float, float, int]:
    """Someone hanging about: drifts back and forth about a box height."""
    return 300 + 60 * np.sin(t), 400.0, track


def test_loitering_fires_after_dwell_not_before() -> None:
    rule = LoiteringRule(LoiteringRuleConfig(dwell_s=10, min_movement=0.3), CLASSES)
    states = walk(rule, 15, sway)
    assert not any(s.firing for t, s in states if t < 10 - 1e-9)
    firing = [s for t, s in states if t >= 10]
    assert firing and all(s.firing for s in firing)
    assert firing[-1].track_ids == (3,)
    assert firing[-1].detail["loitering_ids"] == [3] and firing[-1].detail["dwell_s"] >= 14.5


def test_loitering_grace_keeps_dwell_across_one_second_loss() -> None:
    rule = LoiteringRule(LoiteringRuleConfig(dwell_s=10, grace_s=2), CLASSES)
    states = walk(rule, 12, lambda t: None if 5 <= t < 6 else sway(t))
    assert next(t for t, s in states if s.firing) == pytest.approx(10.0)


def test_loitering_new_id_near_vanished_track_inherits_entry_time() -> None:
    rule = LoiteringRule(LoiteringRuleConfig(dwell_s=10, grace_s=2), CLASSES)
    states = walk(rule, 12, lambda t: None if 5 <= t < 5.6 else sway(t, 3 if t < 5 else 9))
    first = next((t, s) for t, s in states if s.firing)
    assert first[0] == pytest.approx(10.0) and first[1].track_ids == (9,)


def test_loitering_passer_by_over_a_hidden_loiterer_inherits_nothing() -> None:
    """Track 3 loiters and is hidden at 5 s by passer-by 5, tracked since before (the camera's newest id
    is 7 by then); 5 walks over the spot and on. It must not inherit 3's dwell; 3 keeps it on return."""
    rule = LoiteringRule(LoiteringRuleConfig(dwell_s=10, grace_s=3), CLASSES)
    states = []
    for t in frames(12):
        rule.note_newest_track(7)
        rows: list[tuple[float, float, int, float, int]] = []
        if not 5 <= t < 6:
            x, y, _ = sway(t)
            rows.append((x, y, PERSON, 0.9, 3))
        if 5.2 <= t < 7:  # enters the zone over the hidden loiterer's spot, walking 120 px/s
            rows.append((250 + 120 * (t - 5.2), 400.0, PERSON, 0.9, 5))
        states.append((t, rule.observe(dets(rows), meta(t), ())))
    assert all(5 not in s.track_ids for _, s in states)
    assert next(t for t, s in states if s.firing) == pytest.approx(10.0)
    assert states[-1][1].track_ids == (3,)


def test_loitering_loss_longer_than_grace_restarts_dwell() -> None:
    rule = LoiteringRule(LoiteringRuleConfig(dwell_s=10, grace_s=1), CLASSES)
    states = walk(rule, 20, lambda t: None if 5 <= t < 7 else sway(t))
    assert next(t for t, s in states if s.firing) == pytest.approx(17.0)


def test_static_false_positive_needs_min_movement_but_moving_person_fires() -> None:
    rule = LoiteringRule(LoiteringRuleConfig(dwell_s=5, min_movement=0.5), CLASSES)
    post = walk(rule, 20, lambda t: (600 + np.sin(7 * t), 400.0, 4))  # jitters a pixel, never moves
    assert not any(s.firing for _, s in post)
    rule.reset()
    person = walk(rule, 8, sway)
    assert person[-1][1].firing


def test_max_movement_restarts_dwell_for_someone_walking_through() -> None:
    def passer(t: float) -> tuple[float, float, int]:
        return 50 + 80 * t, 400.0, 5  # 0.8 box heights per second

    rule = LoiteringRule(LoiteringRuleConfig(dwell_s=5, max_movement=2.0), CLASSES)
    assert not any(s.firing for _, s in walk(rule, 12, passer))
    unbounded = LoiteringRule(LoiteringRuleConfig(dwell_s=5), CLASSES)
    assert walk(unbounded, 12, passer)[-1][1].firing


# ---------------------------------------------------------------- crowding


def crowd(rule: CrowdingRule, counts: list[int], windows: tuple[str, ...] = (), start: float = 0.0) -> list[RuleState]:
    return [rule.observe(people(n), meta(start + k * DT), windows) for k, n in enumerate(counts)]


def test_crowding_respects_min_duration() -> None:
    rule = CrowdingRule(CrowdingRuleConfig(min_count=5, min_duration_s=2.0), CLASSES, area_fraction=0.25)
    states = crowd(rule, [5] * 15)
    assert next(k for k, s in enumerate(states) if s.firing) == 10  # 2.0 s after the first crowded frame
    assert states[-1].detail == {"count": 5, "peak_count": 5, "density": 20.0}


def test_crowding_count_hovering_at_threshold_is_one_continuous_alarm() -> None:
    rule = CrowdingRule(CrowdingRuleConfig(min_count=5, hysteresis=1, min_duration_s=1.0, clear_s=2.0), CLASSES, 0.5)
    pattern = [5, 4, 5, 5, 4, 4, 5, 3, 5, 4] * 6  # dips into the band, one-frame dips below it
    firing = [s.firing for s in crowd(rule, pattern)]
    starts = sum(1 for a, b in zip([False, *firing], firing) if b and not a)
    assert starts == 1 and firing[-1]


def test_crowding_band_dip_does_not_restart_the_timer_but_a_drop_below_clear_does() -> None:
    rule = CrowdingRule(CrowdingRuleConfig(min_count=5, hysteresis=1, min_duration_s=1.0), CLASSES, 0.5)
    assert crowd(rule, [5, 5, 4, 4, 5, 5])[-1].firing  # 1.0 s since the first 5
    rule.reset()
    assert not crowd(rule, [5, 5, 3, 5, 5, 5])[-1].firing  # 3 < clear level 4: timer restarted


def test_crowding_ends_after_clear_s_below_clear_level() -> None:
    rule = CrowdingRule(CrowdingRuleConfig(min_count=3, min_duration_s=0, clear_s=1.0), CLASSES, 0.5)
    states = crowd(rule, [3, 3] + [1] * 8)
    assert [s.firing for s in states] == [True] * 7 + [False] * 3


def test_crowding_density_threshold_folds_into_count() -> None:
    rule = CrowdingRule(CrowdingRuleConfig(min_count=2, min_density=20, min_duration_s=0), CLASSES, 0.25)
    assert rule.observe(people(4), meta(0), ()).firing is False  # density 16
    state = rule.observe(people(5), meta(0.2), ())
    assert state.firing and state.thresholds["count_threshold"] == 5


def test_crowding_counts_detections_not_tracks_and_filters_confidence() -> None:
    rule = CrowdingRule(CrowdingRuleConfig(min_count=3, min_duration_s=0, min_confidence=0.5), CLASSES, 0.5)
    untracked = dets([(0, 400, PERSON, 0.9, -1), (50, 400, PERSON, 0.9, -1), (99, 400, PERSON, 0.9, 2)])
    state = rule.observe(untracked, meta(0), ())
    assert state.firing and state.track_ids == (2,)
    weak = dets([(0, 400, PERSON, 0.9, -1), (50, 400, PERSON, 0.9, -1), (99, 400, PERSON, 0.3, 2)])
    rule.reset()
    assert rule.observe(weak, meta(0), ()).detail["count"] == 2


PICKUP = ScheduleConfig(
    timezone="Asia/Shanghai", windows=[WeeklyWindow(days=["mon", "fri"], start="15:30", end="17:00")]
)


def test_schedule_book_evaluates_in_local_timezone() -> None:
    book = ScheduleBook({"pickup": PICKUP})
    monday = dt.datetime(2024, 9, 2, 7, 45, tzinfo=dt.UTC)  # 15:45 in Shanghai
    assert book.active(monday) == ("pickup",)
    assert book.active(monday + dt.timedelta(hours=2)) == ()  # 17:45 local
    assert book.active(monday + dt.timedelta(days=1)) == ()  # Tuesday
    assert book.active(dt.datetime(2024, 9, 2, 9, 0, tzinfo=dt.UTC)) == ()  # 17:00 sharp: over
    assert book.active(dt.datetime(2024, 9, 2, 7, 45)) == ("pickup",)  # noqa: DTZ001 - naive is read as UTC


def test_schedule_window_switches_crowding_thresholds() -> None:
    config = CrowdingRuleConfig(min_count=10, min_duration_s=0, schedules={"pickup": CrowdingThresholds(min_count=4)})
    rule = CrowdingRule(config, CLASSES, 0.5)
    book = ScheduleBook({"pickup": PICKUP})
    during = book.active(dt.datetime(2024, 9, 6, 8, 0, tzinfo=dt.UTC))  # Friday 16:00 local
    after = book.active(dt.datetime(2024, 9, 6, 10, 0, tzinfo=dt.UTC))
    state = rule.observe(people(5), meta(0), during)
    assert state.firing and state.schedule_window == "pickup" and state.thresholds["min_count"] == 4
    rule.reset()
    state = rule.observe(people(5), meta(0), after)
    assert not state.firing and state.schedule_window is None and state.thresholds["min_count"] == 10


def test_unknown_class_names_name_the_field() -> None:
    with pytest.raises(ValueError, match=r"zones\.gate\.weapon\.classes.*'rifle'.*person"):
        WeaponRule(WeaponRuleConfig(classes=["rifle"]), CLASSES, "zones.gate.weapon")


def test_loitering_does_not_start_while_the_track_is_out_of_view() -> None:
    """Dwell reaches the threshold during the grace period after the person left: no alarm."""
    monitor = LoiteringRule(LoiteringRuleConfig(dwell_s=10, grace_s=3), ["person"])
    person = Detections(np.array([[100, 100, 150, 300]]), np.array([0.9]), np.array([0]), np.array([7]))
    t = 0.0
    while t < 9.0:  # seen for 9 s, below the 10 s dwell
        assert not monitor.observe(person, meta(t), ()).firing
        t += 0.2
    while t < 12.0:  # gone; the remembered stay crosses 10 s inside the 3 s grace
        assert not monitor.observe(Detections.empty(), meta(t), ()).firing
        t += 0.2
