"""The rule registry: every event type has a factory and a zone field, and rules come out in registry order."""

from __future__ import annotations

from typing import get_args

import pytest

from gatewatch.vision.analytics_config import (
    CrowdingRuleConfig,
    LoiteringRuleConfig,
    ScheduleConfig,
    WeaponRuleConfig,
    ZoneConfig,
)
from gatewatch.vision.errors import InvalidValue
from gatewatch.vision.rules.crowding import CrowdingRule
from gatewatch.vision.rules.loitering import LoiteringRule
from gatewatch.vision.rules.registry import RULES, build_rules
from gatewatch.vision.rules.weapon import WeaponRule
from gatewatch.vision.types import EventType

SQUARE = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]
CLASSES = ["person", "knife"]


@pytest.mark.unit
def test_every_event_type_has_a_factory_and_a_zone_field() -> None:
    assert set(RULES) == set(get_args(EventType))
    assert set(RULES) <= set(ZoneConfig.model_fields)


@pytest.mark.unit
def test_a_zone_gets_its_configured_rules_in_registry_order() -> None:
    zone = ZoneConfig(
        id="gate",
        polygon=SQUARE,
        crowding=CrowdingRuleConfig(min_count=5, cooldown_s=12.0),
        weapon=WeaponRuleConfig(classes=["knife"]),
    )
    built = list(build_rules(zone, CLASSES, 1.0, {}))
    assert [(kind, type(rule), cooldown) for kind, rule, cooldown in built] == [
        ("weapon", WeaponRule, 30.0),
        ("crowding", CrowdingRule, 12.0),
    ]
    only_loitering = ZoneConfig(id="bench", polygon=SQUARE, loitering=LoiteringRuleConfig())
    assert [type(rule) for _, rule, _ in build_rules(only_loitering, CLASSES, 1.0, {})] == [LoiteringRule]


@pytest.mark.unit
def test_unknown_names_are_refused_with_their_field() -> None:
    zone = ZoneConfig(
        id="gate", polygon=SQUARE, crowding=CrowdingRuleConfig(min_count=5, schedules={"pickup": {"min_count": 9}})
    )
    with pytest.raises(InvalidValue, match=r"zones\.gate\.crowding\.schedules: unknown schedule\(s\) \['pickup'\]"):
        list(build_rules(zone, CLASSES, 1.0, {}))
    pickup = ScheduleConfig(windows=[{"days": ["mon"], "start": "15:30", "end": "17:00"}])
    assert len(list(build_rules(zone, CLASSES, 1.0, {"pickup": pickup}))) == 1
    knives = ZoneConfig(id="gate", polygon=SQUARE, weapon=WeaponRuleConfig(classes=["gun"]))
    with pytest.raises(InvalidValue, match=r"zones\.gate\.weapon\.classes: unknown class name\(s\) \['gun'\]"):
        list(build_rules(knives, CLASSES, 1.0, {}))
