"""Camera configuration: where frames come from and which zones watch them."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from gatewatch.vision.analytics_config import (
    Identifier,
    StrictModel,
    TilingConfig,
    ValidPolygon,
    ZoneConfig,
    first_duplicate,
)
from gatewatch.vision.motion import MotionGateConfig


class CameraConfig(StrictModel):
    id: Identifier
    name: str | None = Field(None, max_length=200, description="Human-readable name shown in the console.")
    source: str = Field(
        min_length=1,
        description="The detect stream: what gatewatch decodes and analyses, and what live view and snapshots "
        "show. rtsp://, http(s):// URL, local file path, or /dev/videoN device. With a view_source, give the "
        "camera's sub-stream here (e.g. 640x360 at 10 fps): decoding it costs a fraction of the main stream.",
    )
    view_source: str | None = Field(
        None,
        min_length=1,
        max_length=2000,
        description="The view stream: the camera's main stream (e.g. 1280x720 25 fps) for full-resolution "
        "viewing and recording by a video player or NVR. gatewatch never opens or decodes it; it is listed "
        "(password removed) so the console and clients know where the full picture is. Boxes stay in "
        "source pixels; zones and masks are in 0-1 frame fractions, so they fit both streams. "
        "Absent: the one source serves both roles.",
    )
    enabled: bool = Field(True, description="Disabled cameras are configured but not opened.")
    rtsp_transport: Literal["tcp", "udp"] = Field("tcp", description="RTSP transport; TCP survives lossy links.")
    open_timeout_s: float = Field(10.0, gt=0.0, le=120.0, description="Seconds to wait for a source to open.")
    read_timeout_s: float = Field(5.0, gt=0.0, le=120.0, description="Seconds without a frame before the read fails.")
    realtime: bool = Field(
        True, description="Live runtime only: pace a local file at its frame rate, as a camera would deliver it."
    )
    loop: bool = Field(False, description="Live runtime only: restart a local file at its end.")
    stall_after_s: float = Field(
        2.0,
        gt=0.0,
        le=120.0,
        description="Live runtime: seconds without a frame before the watchdog reports the camera 'stalled' "
        "(the blocked read itself gives up after read_timeout_s and the camera reconnects).",
    )
    reconnect_min_s: float = Field(
        0.5, gt=0.0, le=60.0, description="Live runtime: first wait before reopening a failed source."
    )
    reconnect_max_s: float = Field(
        30.0, gt=0.0, le=3600.0, description="Live runtime: longest wait between reopen attempts (doubling backoff)."
    )
    reconnect_jitter: float = Field(
        0.2,
        ge=0.0,
        le=1.0,
        description="Live runtime: each backoff wait is scaled by a random factor in 1 +/- this, so cameras that "
        "failed together do not retry in lockstep.",
    )
    buffer_frames: int = Field(
        1,
        ge=1,
        le=8,
        description="Live runtime: decoded frames held for the detector; when full the oldest is dropped "
        "(latest frame wins), so a slow detector never builds up latency.",
    )
    max_frame_age_s: float = Field(
        2.0,
        gt=0.0,
        le=60.0,
        description="Live runtime: a frame older than this (since decode) when the scheduler takes it is dropped "
        "as stale.",
    )
    masks: list[ValidPolygon] = Field(
        default_factory=list,
        description="Areas whose detections are ignored (anchor inside), e.g. a post that looks like a person.",
    )
    zones: list[ZoneConfig] = Field(default_factory=list, description="Zones and the rules that watch them.")
    tiling: TilingConfig = Field(
        default_factory=TilingConfig,
        description="Whole frame or overlapping tiles to the detector; tiles count dense crowds at more CPU.",
    )
    motion: MotionGateConfig | None = Field(
        None,
        description="Live runtime: skip the detector on due frames with no motion inside the zones (tracks "
        "coast); absent = detect every due frame.",
    )

    @model_validator(mode="after")
    def _backoff_ordered(self) -> CameraConfig:
        if self.reconnect_max_s < self.reconnect_min_s:
            raise ValueError(
                f"reconnect_max_s ({self.reconnect_max_s}) must be >= reconnect_min_s ({self.reconnect_min_s})"
            )
        return self

    @model_validator(mode="after")
    def _distinct_roles(self) -> CameraConfig:
        if self.view_source is not None and self.view_source == self.source:
            raise ValueError("view_source is the same as source: leave view_source out when one stream serves both")
        return self

    @model_validator(mode="after")
    def _unique_zone_ids(self) -> CameraConfig:
        twice = first_duplicate(zone.id for zone in self.zones)
        if twice is not None:
            raise ValueError(f"zone id {twice!r} appears twice in camera {self.id!r}")
        return self
