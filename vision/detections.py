"""The one data type that flows between stages: columnar detections in source-pixel coordinates.

Modelled on supervision's ``Detections``: parallel numpy arrays, boolean/index selection,
and validators that say what was expected and what was got.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

Anchor = Literal["bottom_center", "center"]

NO_TRACK = -1


def _check(name: str, array: np.ndarray, ndim: int, n: int | None, width: int | None = None) -> None:
    expected = f"({'N' if n is None else n}{', ' + str(width) if width else ''})"
    if array.ndim != ndim or (n is not None and array.shape[0] != n) or (width and array.shape[1] != width):
        raise ValueError(f"Detections.{name}: expected shape {expected}, got {array.shape}")


@dataclass(frozen=True, slots=True)
class Detections:
    """N detections of one frame.

    xyxy:        float32 (N, 4) box corners in source pixels.
    confidence:  float32 (N,) detector score in 0..1.
    class_id:    int32 (N,) index into the detector's class names.
    tracker_id:  int64 (N,) stable track id, ``NO_TRACK`` (-1) before tracking or when unconfirmed.
    """

    xyxy: np.ndarray
    confidence: np.ndarray
    class_id: np.ndarray
    tracker_id: np.ndarray = field(default=None)  # type: ignore[arg-type]  # None: filled with NO_TRACK in __post_init__

    def __post_init__(self) -> None:
        xyxy = np.asarray(self.xyxy, dtype=np.float32)
        if xyxy.size == 0:
            xyxy = xyxy.reshape(0, 4)
        _check("xyxy", xyxy, 2, None, 4)
        n = xyxy.shape[0]
        confidence = np.asarray(self.confidence, dtype=np.float32).reshape(-1)
        class_id = np.asarray(self.class_id, dtype=np.int32).reshape(-1)
        tracker_id = (
            np.full(n, NO_TRACK, dtype=np.int64)
            if self.tracker_id is None
            else np.asarray(self.tracker_id, dtype=np.int64).reshape(-1)
        )
        _check("confidence", confidence, 1, n)
        _check("class_id", class_id, 1, n)
        _check("tracker_id", tracker_id, 1, n)
        object.__setattr__(self, "xyxy", xyxy)
        object.__setattr__(self, "confidence", confidence)
        object.__setattr__(self, "class_id", class_id)
        object.__setattr__(self, "tracker_id", tracker_id)

    @classmethod
    def empty(cls) -> Detections:
        return cls(np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, np.int32))

    def __len__(self) -> int:
        return int(self.xyxy.shape[0])

    def __getitem__(self, index: np.ndarray | slice | list[int]) -> Detections:
        """Select rows by boolean mask, index array or slice."""
        return Detections(self.xyxy[index], self.confidence[index], self.class_id[index], self.tracker_id[index])

    def with_tracker_ids(self, tracker_id: np.ndarray) -> Detections:
        return Detections(self.xyxy, self.confidence, self.class_id, tracker_id)

    def anchors(self, anchor: Anchor = "bottom_center") -> np.ndarray:
        """(N, 2) float32 anchor points; bottom-centre is where a person stands."""
        x = (self.xyxy[:, 0] + self.xyxy[:, 2]) * 0.5
        y = self.xyxy[:, 3] if anchor == "bottom_center" else (self.xyxy[:, 1] + self.xyxy[:, 3]) * 0.5
        return np.stack([x, y], axis=1)

    @property
    def heights(self) -> np.ndarray:
        return self.xyxy[:, 3] - self.xyxy[:, 1]

    @staticmethod
    def concatenate(parts: list[Detections]) -> Detections:
        if not parts:
            return Detections.empty()
        return Detections(
            np.concatenate([p.xyxy for p in parts]),
            np.concatenate([p.confidence for p in parts]),
            np.concatenate([p.class_id for p in parts]),
            np.concatenate([p.tracker_id for p in parts]),
        )
