"""Per-frame counting scores and track continuity against ground truth (IoU >= 0.5, greedy one-to-one).

Greedy matching by descending IoU, as MOTChallenge's own devkit does for counting-style scores at
IoU >= 0.5 (a box overlapping two people at >= 0.5 is rare); py-motmetrics would add pandas and scipy
for the two continuity numbers computed here in a few lines.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gatewatch.vision.tracker import box_iou, greedy_match

MATCH_IOU = 0.5


@dataclass(frozen=True, slots=True)
class FrameScore:
    truth: int  # people to count
    found: int  # detections counted (not those matching a don't-care box)
    matched: int

    @property
    def recall(self) -> float:
        return self.matched / self.truth if self.truth else 1.0

    @property
    def precision(self) -> float:
        return self.matched / self.found if self.found else 1.0

    @property
    def count_error(self) -> int:
        """Signed: detections counted minus people (what a crowd count gets wrong, matched or not)."""
        return self.found - self.truth


def score_frame(detections: np.ndarray, truth: np.ndarray, dont_care: np.ndarray) -> FrameScore:
    """Score (D, 4) detection boxes against (T, 4) people; an unmatched detection on a don't-care box is ignored."""
    rows, _ = greedy_match(box_iou(detections.astype(np.float64), truth.astype(np.float64)), MATCH_IOU)
    unmatched = np.ones(len(detections), bool)
    unmatched[rows] = False
    if len(dont_care) and unmatched.any():
        hits = box_iou(detections[unmatched].astype(np.float64), dont_care.astype(np.float64)) >= MATCH_IOU
        ignored = int(hits.any(axis=1).sum())
    else:
        ignored = 0
    return FrameScore(truth=len(truth), found=len(detections) - ignored, matched=len(rows))


@dataclass
class Continuity:
    """CLEAR-MOT identity figures over a sequence: switches and fragmentations of ground-truth tracks."""

    id_switches: int = 0
    fragmentations: int = 0
    matches: int = 0
    truth_boxes: int = 0
    truth_tracks: int = 0

    def __post_init__(self) -> None:
        self._last_track: dict[int, int] = {}  # truth id -> tracker id it was last matched to
        self._was_tracked: dict[int, bool] = {}  # truth id -> matched at its previous appearance

    def add(
        self,
        truth_ids: np.ndarray,
        truth: np.ndarray,
        track_ids: np.ndarray,
        tracks: np.ndarray,
    ) -> None:
        """One frame: (T,) truth ids and boxes, (K,) tracker ids and boxes of confirmed tracks."""
        rows, cols = greedy_match(box_iou(truth.astype(np.float64), tracks.astype(np.float64)), MATCH_IOU)
        matched = dict(zip(truth_ids[rows].tolist(), track_ids[cols].tolist()))
        for gid in truth_ids.tolist():
            tid = matched.get(gid)
            was = self._was_tracked.get(gid)
            if was is None:
                self.truth_tracks += 1
            if tid is not None:
                last = self._last_track.get(gid)
                self.id_switches += int(last is not None and last != tid)
                self.fragmentations += int(was is False and last is not None)
                self._last_track[gid] = tid
            self._was_tracked[gid] = tid is not None
        self.matches += len(rows)
        self.truth_boxes += len(truth_ids)
