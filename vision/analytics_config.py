"""Configuration models for the per-frame analytics (detector, tracker, zones, rules, schedules).

Every model forbids unknown keys and every field carries bounds and a description, so a typo
in a YAML file is an error with its field path, never a silently ignored setting.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Annotated, Any, ClassVar, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    model_validator,
)

from gatewatch.vision.geometry import polygon_problem

IDENTIFIER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"  # also checks ids in URL paths (api/routes)
Identifier = Annotated[
    str,
    Field(pattern=IDENTIFIER_PATTERN, description="Letters, digits, '_', '-', '.'; 1-64 chars."),
]
Point = tuple[
    Annotated[float, Field(ge=0.0, le=1.0)],
    Annotated[float, Field(ge=0.0, le=1.0)],
]
Polygon = Annotated[
    list[Point],
    Field(description="Closed polygon as [x, y] points normalised to 0..1 of the frame width/height."),
]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


def check_polygon(points: list[Point]) -> list[Point]:
    problem = polygon_problem(points)
    if problem:
        raise ValueError(problem)
    return points


# Zones and masks are outlines drawn by hand: 100 points is plenty, and the bound keeps the crossing check
# (all edge pairs) cheap enough to run on every config change, in the file and over the API alike.
MAX_POLYGON_POINTS = 100

# Point count, frame bounds, self-intersection and area, checked wherever a polygon is configured.
ValidPolygon = Annotated[Polygon, Field(min_length=3, max_length=MAX_POLYGON_POINTS), AfterValidator(check_polygon)]


def check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown IANA time zone {value!r}") from exc
    return value


# An IANA time zone name (Asia/Shanghai), checked against the tz database wherever one is configured.
TimeZoneName = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(check_timezone)]


def first_duplicate(ids: Iterable[str]) -> str | None:
    """The first id that appears a second time, or None when all are unique."""
    seen: set[str] = set()
    for item in ids:
        if item in seen:
            return item
        seen.add(item)
    return None


class RuleConfig(StrictModel):
    """A rule's settings. ``thresholds()`` are the values in force, reported with every event it raises."""

    # Settings that say what the rule watches or how it re-alarms, not when it fires.
    NOT_THRESHOLDS: ClassVar[frozenset[str]] = frozenset({"classes", "cooldown_s", "schedules"})

    def thresholds(self) -> dict[str, Any]:
        return {name: value for name, value in self if name not in self.NOT_THRESHOLDS}


# ---------------------------------------------------------------- detector / tracker


class DetectorConfig(StrictModel):
    model: str = Field("yolox_nano", min_length=1, description="Model name from models/manifest.toml.")
    confidence: float = Field(0.3, ge=0.01, le=1.0, description="Minimum detector score kept.")
    nms_iou: float = Field(0.45, ge=0.05, le=0.95, description="IoU above which overlapping boxes of a class merge.")
    detection_fps: float = Field(
        5.0, gt=0.0, le=60.0, description="Frames per second sent to the model per camera (others are tracked only)."
    )
    threads: int = Field(2, ge=1, le=64, description="ONNX Runtime intra-op threads per session.")
    workers: int = Field(
        1,
        ge=1,
        le=16,
        description="Detector sessions run in parallel on the frames of one scheduler round (each with 'threads' "
        "intra-op threads); on few cores, 2 sessions x 1 thread do more inferences per CPU-second than 1 x 2.",
    )
    device: Literal["cpu", "cuda"] = Field("cpu", description="Execution provider; 'cuda' needs onnxruntime-gpu.")
    batch: bool = Field(
        False,
        description="Send a scheduler round's due frames to the model in one run (a batch-1 export is made "
        "dynamic-batch in memory; needs the onnx package). For GPUs: on CPU it costs as much CPU per frame as "
        "single runs or more (measured, bench/README.md); use workers there.",
    )


class TrackerConfig(StrictModel):
    match_iou: float = Field(0.2, ge=0.01, le=0.95, description="Minimum IoU to continue a track.")
    high_confidence: float = Field(
        0.5, ge=0.01, le=1.0, description="Detections at or above this start tracks (ByteTrack first stage)."
    )
    lost_s: float = Field(
        2.0, ge=0.0, le=60.0, description="Seconds a lost track is kept for re-association before its id retires."
    )
    min_hits: int = Field(2, ge=1, le=30, description="Matched detections before a track id is confirmed.")
    still_s: float = Field(
        2.0,
        ge=0.0,
        le=600.0,
        description="Seconds a track must stay within half a box height of one spot to count as standing still.",
    )
    still_lost_s: float = Field(
        10.0,
        ge=0.0,
        le=600.0,
        description="Seconds a lost track that stood still is kept for re-association (a waiting parent hidden by "
        "passers-by or missed while the detector's score dips), instead of lost_s.",
    )
    revive_iou: float = Field(
        0.5,
        ge=0.05,
        le=0.95,
        description="A detection below high_confidence revives a lost track that stood still when it overlaps the "
        "track's last box at least this much (it never starts a track).",
    )


class TilingConfig(StrictModel):
    """How a camera's frame goes to the detector: whole, or as overlapping tiles for dense crowds."""

    mode: Literal["auto", "frame", "tiles"] = Field(
        "auto",
        description="'frame': the whole frame at the model's input size. 'tiles': cols x rows overlapping "
        "tiles, each at the model's input size (cols x rows times the detector CPU). 'auto': tiles only on "
        "a camera with a crowding zone whose frame is at least 1.5 times as wide as tall, where a square "
        "model input wastes most on padding (a 2x1 grid doubles the recall of a dense crowd at 2x the CPU).",
    )
    grid: tuple[Annotated[int, Field(ge=1, le=4)], Annotated[int, Field(ge=1, le=4)]] = Field(
        (2, 1), description="Tiles as [columns, rows]; every tile is one more detector run per detection."
    )
    overlap: float = Field(
        0.15,
        ge=0.0,
        le=0.5,
        description="Fraction of a tile its neighbour also covers; wider than a person, so someone cut by "
        "one tile's border is seen whole in the next.",
    )
    merge_iou: float = Field(
        0.45, ge=0.05, le=0.95, description="IoU above which boxes of a class from overlapping tiles merge."
    )


# ---------------------------------------------------------------- schedules


class WeeklyWindow(StrictModel):
    days: list[Weekday] = Field(min_length=1, description="Weekdays the window applies to, e.g. [mon, tue].")
    start: dt.time = Field(description="Local start time, HH:MM.")
    end: dt.time = Field(description="Local end time, HH:MM, after start (same day).")

    @model_validator(mode="after")
    def _ordered(self) -> WeeklyWindow:
        if self.end <= self.start:
            raise ValueError(f"end {self.end} must be after start {self.start} (split windows that cross midnight)")
        return self


class ScheduleConfig(StrictModel):
    timezone: TimeZoneName = Field("Asia/Shanghai", description="IANA time zone the window times are in.")
    windows: list[WeeklyWindow] = Field(min_length=1, description="Weekly time windows.")


# ---------------------------------------------------------------- rules


class WeaponRuleConfig(RuleConfig):
    classes: list[str] = Field(
        min_length=1, description="Model class names treated as weapons (must exist in the model's classes)."
    )
    min_confidence: float = Field(0.5, ge=0.01, le=1.0, description="Minimum detector score for a weapon detection.")
    confirm_k: int = Field(3, ge=1, le=100, description="Weapon seen in at least k ...")
    confirm_n: int = Field(5, ge=1, le=100, description="... of the last n detection frames before an alarm.")
    clear_s: float = Field(
        3.0, ge=0.0, le=600.0, description="Seconds without a confirmed weapon before the alarm ends."
    )
    cooldown_s: float = Field(30.0, ge=0.0, le=86400.0, description="Seconds after an end before the zone re-alarms.")

    @model_validator(mode="after")
    def _k_le_n(self) -> WeaponRuleConfig:
        if self.confirm_k > self.confirm_n:
            raise ValueError(f"confirm_k ({self.confirm_k}) must be <= confirm_n ({self.confirm_n})")
        return self


class LoiteringRuleConfig(RuleConfig):
    classes: list[str] = Field(default_factory=lambda: ["person"], min_length=1, description="Classes that loiter.")
    min_confidence: float = Field(0.3, ge=0.01, le=1.0, description="Minimum detector score counted.")
    dwell_s: float = Field(60.0, gt=0.0, le=86400.0, description="Seconds a track must stay in the zone to alarm.")
    grace_s: float = Field(
        3.0, ge=0.0, le=600.0, description="Seconds a track may be lost or outside the zone and keep its dwell time."
    )
    min_movement: float = Field(
        0.0,
        ge=0.0,
        le=100.0,
        description="Track must have moved at least this many box heights since entering; excludes static false "
        "positives (posts, signs). 0 disables.",
    )
    max_movement: float | None = Field(
        None,
        gt=0.0,
        le=1000.0,
        description="If set, moving farther than this many box heights from the entry point restarts the dwell "
        "(passing through is not loitering).",
    )
    cooldown_s: float = Field(60.0, ge=0.0, le=86400.0, description="Seconds after an end before the zone re-alarms.")


class CrowdingThresholds(RuleConfig):
    min_count: int = Field(ge=1, le=10000, description="People in the zone at or above which it is crowded.")
    min_density: float | None = Field(
        None,
        gt=0.0,
        le=100000.0,
        description="Optional: people divided by the zone's area as a fraction of the frame must also reach this.",
    )


class CrowdingRuleConfig(CrowdingThresholds):
    # hysteresis is reported as the clear level it gives (``clear_below``).
    NOT_THRESHOLDS: ClassVar[frozenset[str]] = RuleConfig.NOT_THRESHOLDS | {"hysteresis"}

    classes: list[str] = Field(default_factory=lambda: ["person"], min_length=1, description="Classes counted.")
    min_confidence: float = Field(0.3, ge=0.01, le=1.0, description="Minimum detector score counted.")
    min_duration_s: float = Field(3.0, ge=0.0, le=3600.0, description="Seconds the zone must stay crowded to alarm.")
    hysteresis: int = Field(
        1, ge=0, le=1000, description="Alarm clears only when the count drops below min_count - hysteresis."
    )
    clear_s: float = Field(3.0, ge=0.0, le=3600.0, description="Seconds below the clear level before the alarm ends.")
    cooldown_s: float = Field(
        60.0, ge=0.0, le=86400.0, description="Re-alarm interval: seconds after an end before the zone re-alarms."
    )
    schedules: dict[str, CrowdingThresholds] = Field(
        default_factory=dict, description="Thresholds in force inside named schedule windows (stricter at pickup)."
    )


class ZoneConfig(StrictModel):
    id: Identifier
    polygon: ValidPolygon
    weapon: WeaponRuleConfig | None = Field(None, description="Weapon rule for this zone; absent = off.")
    loitering: LoiteringRuleConfig | None = Field(None, description="Loitering rule for this zone; absent = off.")
    crowding: CrowdingRuleConfig | None = Field(None, description="Crowding rule for this zone; absent = off.")
