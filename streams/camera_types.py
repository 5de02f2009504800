"""What a camera hands out: captured frames, state changes and its stats."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from gatewatch.streams.decode import Picture


class CameraState(StrEnum):
    CONNECTING = "connecting"
    RUNNING = "running"
    STALLED = "stalled"
    RECONNECTING = "reconnecting"
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class StateChange:
    camera: str
    state: CameraState
    previous: CameraState
    message: str | None  # why: the source error, "no frame for 2.0 s", "end of file", ...
    at: dt.datetime  # UTC


@dataclass(frozen=True, slots=True)
class CapturedFrame:
    camera: str
    picture: Picture  # the decoded frame; ``image`` converts it to BGR on first use (an ndarray is accepted)
    t_s: float  # camera clock: monotonic seconds since the worker started, continuous across reconnects
    wall: dt.datetime  # UTC time of the frame
    index: int  # frames delivered by this worker, 0-based
    session: int  # increments at every (re)open or loop: the analytics timeline restarts there
    captured_mono: float  # time.monotonic() when decoding finished, for end-to-end latency

    def __post_init__(self) -> None:
        if isinstance(self.picture, np.ndarray):  # a ready BGR image (tests, other producers)
            object.__setattr__(self, "picture", Picture(self.picture))

    @property
    def image(self) -> np.ndarray:
        """(H, W, 3) uint8 BGR; converted on first use, so frames nobody looks at cost no conversion."""
        return self.picture.bgr()

    @property
    def width(self) -> int:
        return self.picture.width

    @property
    def height(self) -> int:
        return self.picture.height


@dataclass(frozen=True, slots=True)
class CameraStats:
    state: CameraState
    frames_in: int
    fps: float  # delivery rate over the last frames
    last_frame_age_s: float | None
    reconnect_attempts: int
    reconnects: int  # attempts that delivered frames again
    last_error: str | None
    dropped: dict[str, int]  # frames dropped in the slot, by reason
