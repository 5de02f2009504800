"""Crowding rule: too many people in a zone for long enough, with hysteresis against flapping."""

from __future__ import annotations

import math
from collections.abc import Sequence

from gatewatch.vision.analytics_config import CrowdingRuleConfig, CrowdingThresholds
from gatewatch.vision.detections import Detections
from gatewatch.vision.rules.base import RuleState, peak_confidence, resolve_classes, tracked_ids
from gatewatch.vision.types import FrameMeta


class CrowdingRule:
    """Counts detections (not track ids: unconfirmed people are still people) in the zone.

    The thresholds are those of the first of ``rule.schedules`` in force, else the base ones. A
    density threshold is a count threshold in disguise (the zone's area is fixed), so both fold
    into one ``count_threshold``. Firing starts once the count has been at or above it for
    ``min_duration_s`` (dips that stay within the hysteresis band do not restart that timer) and
    ends once the count has stayed below the clear level (threshold - hysteresis) for ``clear_s``.
    """

    def __init__(
        self, rule: CrowdingRuleConfig, class_names: Sequence[str], area_fraction: float, field_path: str = "crowding"
    ) -> None:
        self.rule = rule
        self.area_fraction = area_fraction
        self.classes = resolve_classes(rule.classes, class_names, f"{field_path}.classes")
        self.reset()

    def reset(self) -> None:
        self._firing = False
        self._over_since: float | None = None  # start of the current crowded run
        self._below_since: float | None = None  # start of the current run below the clear level
        self._peak = 0

    def observe(self, in_zone: Detections, meta: FrameMeta, active_windows: tuple[str, ...]) -> RuleState:
        rule, t = self.rule, meta.t_s
        counted = in_zone[self.classes[in_zone.class_id] & (in_zone.confidence >= rule.min_confidence)]
        count = len(counted)
        limits, window = self._limits(active_windows)
        need = limits.min_count
        if limits.min_density is not None:
            need = max(need, math.ceil(limits.min_density * self.area_fraction - 1e-9))
        clear_level = need - rule.hysteresis

        if count < clear_level:
            self._over_since = None
        elif count >= need and self._over_since is None:
            self._over_since = t
        if self._firing:
            if count >= clear_level:
                self._below_since = None
            elif self._below_since is None:
                self._below_since = t
            if self._below_since is not None and t - self._below_since >= rule.clear_s:
                self._firing, self._below_since = False, None
        elif self._over_since is not None and count >= need and t - self._over_since >= rule.min_duration_s:
            self._firing = True
        self._peak = max(self._peak, count) if self._firing or self._over_since is not None else 0

        return RuleState(
            firing=self._firing,
            track_ids=tracked_ids(counted),
            confidence=peak_confidence(counted),
            detail={"count": count, "peak_count": self._peak, "density": round(count / self.area_fraction, 2)},
            # The window's limits replace the base ones; the levels they give are reported beside them.
            thresholds={
                **rule.thresholds(),
                **limits.thresholds(),
                "count_threshold": need,
                "clear_below": clear_level,
            },
            schedule_window=window,
        )

    def _limits(self, active_windows: tuple[str, ...]) -> tuple[CrowdingThresholds, str | None]:
        for name, limits in self.rule.schedules.items():
            if name in active_windows:
                return limits, name
        return self.rule, None
