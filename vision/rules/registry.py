"""Rule kind -> factory: how a zone's rule configs become rules. A new rule kind is one entry here,
a field of that name on ``ZoneConfig`` and an ``EventType`` value."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gatewatch.vision.analytics_config import (
    CrowdingRuleConfig,
    LoiteringRuleConfig,
    ScheduleConfig,
    WeaponRuleConfig,
    ZoneConfig,
)
from gatewatch.vision.errors import InvalidValue
from gatewatch.vision.rules.base import Rule
from gatewatch.vision.rules.crowding import CrowdingRule
from gatewatch.vision.rules.loitering import LoiteringRule
from gatewatch.vision.rules.weapon import WeaponRule
from gatewatch.vision.types import EventType


@dataclass(frozen=True, slots=True)
class RuleContext:
    """What a rule needs besides its own config: the model's classes and the zone's place in the frame."""

    class_names: Sequence[str]
    area_fraction: float  # the zone's area over the frame's
    schedules: Mapping[str, ScheduleConfig]  # the config's named schedules
    field_path: str  # "zones.<id>.<kind>", for errors that name the field


def _weapon(config: WeaponRuleConfig, context: RuleContext) -> Rule:
    return WeaponRule(config, context.class_names, context.field_path)


def _loitering(config: LoiteringRuleConfig, context: RuleContext) -> Rule:
    return LoiteringRule(config, context.class_names, context.field_path)


def _crowding(config: CrowdingRuleConfig, context: RuleContext) -> Rule:
    unknown = sorted(set(config.schedules) - set(context.schedules))
    if unknown:
        raise InvalidValue(
            f"{context.field_path}.schedules: unknown schedule(s) {unknown}; defined schedules are "
            f"{sorted(context.schedules)}"
        )
    return CrowdingRule(config, context.class_names, context.area_fraction, context.field_path)


# In this order a zone's rules run and report their events within a frame.
RULES: dict[EventType, Callable[[Any, RuleContext], Rule]] = {
    "weapon": _weapon,
    "loitering": _loitering,
    "crowding": _crowding,
}


def build_rules(
    zone: ZoneConfig, class_names: Sequence[str], area_fraction: float, schedules: Mapping[str, ScheduleConfig]
) -> Iterator[tuple[EventType, Rule, float]]:
    """(kind, rule, cooldown_s) for every rule the zone configures."""
    for kind, factory in RULES.items():
        config = getattr(zone, kind)
        if config is not None:
            context = RuleContext(class_names, area_fraction, schedules, f"zones.{zone.id}.{kind}")
            yield kind, factory(config, context), config.cooldown_s
