"""The whole gatewatch configuration file."""

from __future__ import annotations

from pydantic import Field, model_validator

from gatewatch.streams.camera_config import CameraConfig
from gatewatch.vision.analytics_config import (
    DetectorConfig,
    ScheduleConfig,
    StrictModel,
    TrackerConfig,
    first_duplicate,
)


class GatewatchConfig(StrictModel):
    detector: DetectorConfig = Field(default_factory=DetectorConfig, description="Object detector settings.")
    tracker: TrackerConfig = Field(default_factory=TrackerConfig, description="Multi-object tracker settings.")
    schedules: dict[str, ScheduleConfig] = Field(
        default_factory=dict, description="Named weekly windows, e.g. 'pickup', referenced by crowding rules."
    )
    cameras: list[CameraConfig] = Field(min_length=1, description="Cameras to watch.")

    @model_validator(mode="after")
    def _references(self) -> GatewatchConfig:
        twice = first_duplicate(camera.id for camera in self.cameras)
        if twice is not None:
            raise ValueError(f"camera id {twice!r} appears twice")
        for camera in self.cameras:
            for zone in camera.zones:
                if zone.crowding is None:
                    continue
                for name in zone.crowding.schedules:
                    if name not in self.schedules:
                        known = ", ".join(sorted(self.schedules)) or "none defined"
                        raise ValueError(
                            f"cameras.{camera.id}.zones.{zone.id}.crowding.schedules: unknown schedule "
                            f"{name!r} (known: {known})"
                        )
        return self
