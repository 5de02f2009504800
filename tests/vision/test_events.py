import datetime as dt
from typing import Any

import numpy as np
import pytest

from gatewatch.vision.analytics_config import CrowdingRuleConfig
from gatewatch.vision.detections import Detections
from gatewatch.vision.events import EventLifecycle, event_id
from gatewatch.vision.rules.base import RuleState
from gatewatch.vision.rules.crowding import CrowdingRule
from gatewatch.vision.types import EventRecord, FrameMeta

pytestmark = pytest.mark.unit  # fast: no servers, clips or model sessions (scripts/test -m unit)

T0 = dt.datetime(2024, 9, 2, 7, 0, tzinfo=dt.UTC)
DT = 0.2


def meta(t: float) -> FrameMeta:
    return FrameMeta(t_s=t, wall=T0 + dt.timedelta(seconds=t), width=640, height=480)


def firing(ids: tuple[int, ...] = (1,), conf: float = 0.7, **detail: Any) -> RuleState:
    return RuleState(True, tuple(ids), conf, detail or {"count": 1}, {"min_count": 1}, "pickup")


QUIET = RuleState(False)


def run(lifecycle: EventLifecycle, states: list[RuleState], start: float = 0.0) -> list[EventRecord]:
    return [r for k, s in enumerate(states) if (r := lifecycle.step(s, meta(start + k * DT))) is not None]


def test_new_update_end_share_one_id_and_carry_the_required_fields() -> None:
    lc = EventLifecycle("cam1", "gate", "loitering", cooldown_s=10)
    states = [QUIET, firing(conf=0.6), firing(conf=0.9)] + [firing((1, 2), conf=0.5)] * 15 + [QUIET]
    records = run(lc, states)
    assert [r.lifecycle for r in records] == ["new", "update", "end"]
    new, update, end = records
    assert len({r.id for r in records}) == 1 and len(new.id) == 32
    assert new.start_s == 0.2 and new.started_at == T0 + dt.timedelta(seconds=0.2)
    assert update.track_ids == (1, 2) and update.t_s >= new.t_s + 2.0  # rate-limited
    assert end.end_s == end.t_s == 18 * DT and end.ended_at is not None
    assert end.confidence == 0.9  # peak over the event
    assert end.detail["end_reason"] == "cleared"
    for r in records:
        assert (r.type, r.camera, r.zone, r.thresholds, r.schedule_window) == (
            "loitering", "cam1", "gate", {"min_count": 1}, "pickup",
        )  # fmt: skip
        assert r.to_json()["id"] == r.id
    assert lc.active is None


def test_event_id_is_derived_from_camera_zone_rule_and_start_time() -> None:
    """A replayed run, or a camera restarted on another machine, names the same event the same way."""
    states = [QUIET, firing(), firing(), QUIET]
    first = run(EventLifecycle("cam1", "gate", "loitering", cooldown_s=10), states)
    again = run(EventLifecycle("cam1", "gate", "loitering", cooldown_s=10), states)
    assert [r.id for r in first] == [r.id for r in again]
    start = T0 + dt.timedelta(seconds=DT)
    assert first[0].id == event_id("cam1", "gate", "loitering", start)
    # The same instant written in another time zone is the same start time.
    assert event_id("cam1", "gate", "loitering", start.astimezone(dt.timezone(dt.timedelta(hours=8)))) == first[0].id
    others = {
        event_id("cam2", "gate", "loitering", start),
        event_id("cam1", "door", "loitering", start),
        event_id("cam1", "gate", "crowding", start),
        event_id("cam1", "gate", "loitering", start + dt.timedelta(microseconds=1)),
    }
    assert len(others) == 4 and first[0].id not in others
    later = run(EventLifecycle("cam1", "gate", "loitering", cooldown_s=0), [*states, firing()])
    assert len({r.id for r in later}) == 2  # a second event of the same rule gets its own id


def test_updates_are_rate_limited_and_ignore_drifting_floats() -> None:
    lc = EventLifecycle("cam1", "gate", "crowding", cooldown_s=0, update_interval_s=2.0)
    drifting = [firing(count=5, density=10.0 + k) for k in range(20)]
    assert [r.lifecycle for r in run(lc, drifting)] == ["new"]
    lc = EventLifecycle("cam1", "gate", "crowding", cooldown_s=0, update_interval_s=2.0)
    churning = [firing(count=5 + k % 2) for k in range(30)]  # changes every frame for 6 s
    updates = [r for r in run(lc, churning) if r.lifecycle == "update"]
    assert len(updates) == 2 and np.all(np.diff([r.t_s for r in updates]) >= 2.0)


def test_active_tracks_the_event_in_progress() -> None:
    lc = EventLifecycle("cam1", "gate", "weapon", cooldown_s=0)
    run(lc, [firing(conf=0.6), firing((4,), conf=0.8)])
    active = lc.active
    assert active is not None and active.track_ids == (4,) and active.confidence == 0.8
    end = lc.close(meta(1.0), "stream_end")
    assert end is not None
    assert end.lifecycle == "end" and end.detail["end_reason"] == "stream_end" and lc.active is None
    assert lc.close(meta(1.2), "stream_end") is None


def test_cooldown_suppresses_a_re_alarm_and_counts_it() -> None:
    lc = EventLifecycle("cam1", "gate", "weapon", cooldown_s=5.0)
    # fire 1 s, quiet 1 s, fire 1 s (suppressed), quiet, then fire again after the cooldown
    states = [firing()] * 5 + [QUIET] * 5 + [firing()] * 5 + [QUIET] * 20 + [firing()] * 2
    records = run(lc, states)
    assert [r.lifecycle for r in records] == ["new", "end", "new"]
    assert lc.suppressed == 1
    ended = records[1].end_s
    assert ended is not None and records[2].start_s - ended >= 5.0


def test_alarm_still_firing_when_cooldown_runs_out_starts_then() -> None:
    lc = EventLifecycle("cam1", "gate", "weapon", cooldown_s=2.0)
    records = run(lc, [firing(), QUIET] + [firing()] * 20)
    assert [r.lifecycle for r in records] == ["new", "end", "new"]
    assert records[2].start_s == 2.2 and lc.suppressed == 1


def test_crowding_oscillating_around_threshold_gives_exactly_one_event() -> None:
    people = [Detections(np.tile([[0, 0, 10, 10]], (n, 1)), np.full(n, 0.9), np.zeros(n)) for n in range(8)]
    rule = CrowdingRule(CrowdingRuleConfig(min_count=5, hysteresis=1, min_duration_s=1.0, clear_s=2.0), ["person"], 0.5)
    lc = EventLifecycle("cam1", "yard", "crowding", cooldown_s=60)
    counts = [4, 5, 4, 6, 5, 4, 5, 3, 5, 4, 5] * 10 + [0] * 20
    records = []
    for k, n in enumerate(counts):
        m = meta(k * DT)
        if (r := lc.step(rule.observe(people[n], m, ()), m)) is not None:
            records.append(r)
    assert [r.lifecycle for r in records].count("new") == 1
    assert records[-1].lifecycle == "end" and records[-1].detail["peak_count"] == 6
