"""What every zone rule reports per detection frame, and the helpers the rules share."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from gatewatch.vision.detections import Detections
from gatewatch.vision.errors import InvalidValue
from gatewatch.vision.types import FrameMeta


@dataclass(frozen=True, slots=True)
class RuleState:
    """A rule's verdict for one detection frame; ``EventLifecycle`` turns a run of these into events."""

    firing: bool
    track_ids: tuple[int, ...] = ()
    confidence: float = 0.0  # best detector score behind this frame's verdict
    detail: dict[str, Any] = field(default_factory=dict)
    thresholds: dict[str, Any] = field(default_factory=dict)  # the values in force this frame
    schedule_window: str | None = None


class Rule(Protocol):
    def observe(self, in_zone: Detections, meta: FrameMeta, active_windows: tuple[str, ...]) -> RuleState: ...

    def reset(self) -> None: ...


@runtime_checkable
class CameraTrackAware(Protocol):
    """A rule that also needs the camera's newest confirmed track id (ids only grow), e.g. to tell an id
    switch (a new id) from a passer-by tracked elsewhere before (an older id)."""

    def note_newest_track(self, track_id: int) -> None: ...


def resolve_classes(names: Sequence[str], class_names: Sequence[str], field_path: str) -> np.ndarray:
    """(C,) bool over the model's classes, True for ``names``: ``table[detections.class_id]`` selects them.

    An unknown name is a configuration error naming its field and the model's classes.
    """
    index = {name: i for i, name in enumerate(class_names)}
    unknown = [name for name in names if name not in index]
    if unknown:
        raise InvalidValue(
            f"{field_path}: unknown class name(s) {unknown}; the model's classes are {list(class_names)}"
        )
    table = np.zeros(len(class_names), bool)
    table[[index[name] for name in names]] = True
    return table


def tracked_ids(detections: Detections) -> tuple[int, ...]:
    """Sorted confirmed track ids among ``detections``."""
    ids = detections.tracker_id
    return tuple(int(i) for i in np.unique(ids[ids >= 0]))


def peak_confidence(detections: Detections) -> float:
    return float(detections.confidence.max()) if len(detections) else 0.0
