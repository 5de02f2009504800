"""Multi-object tracking in the ByteTrack style, on the camera clock rather than frame counts.

Detections arrive at the detector's rate (e.g. 5 fps, or slower when the box is busy), so motion is
kept in pixels per second and lost tracks retire after ``lost_s`` seconds, never after N frames.

Someone standing still (a parent waiting at the gate) is the track a loitering rule needs most and
the one passers-by hide most often, so a track that stayed within half a box height of one spot for
``still_s`` is kept ``still_lost_s`` once lost, and a detection on its last box (IoU >= ``revive_iou``,
even below ``high_confidence``) revives it with its id. Live tracks pick their detections first, so a
passer-by who is tracked never takes a hidden person's id.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from gatewatch.vision.analytics_config import TrackerConfig
from gatewatch.vision.detections import NO_TRACK, Detections

# Weight of the newest velocity measurement; box jitter at 5 fps is large relative to a step,
# so one measurement alone would make extrapolated boxes wander.
VELOCITY_SMOOTHING = 0.5


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(A, B) IoU of every (A, 4) box against every (B, 4) box, xyxy."""
    top_left = np.maximum(a[:, None, :2], b[None, :, :2])
    bottom_right = np.minimum(a[:, None, 2:], b[None, :, 2:])
    wh = np.clip(bottom_right - top_left, 0.0, None)
    inter = wh[..., 0] * wh[..., 1]
    area_a = np.prod(np.clip(a[:, 2:] - a[:, :2], 0.0, None), axis=1)
    area_b = np.prod(np.clip(b[:, 2:] - b[:, :2], 0.0, None), axis=1)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def greedy_match(score: np.ndarray, min_score: float) -> tuple[np.ndarray, np.ndarray]:
    """(rows, cols) pairs taken by descending score, each row and column at most once.

    Greedy instead of Hungarian: after IoU gating almost every box overlaps at most one track, and
    where two compete the larger overlap is the right winner; this keeps the module free of scipy.
    The Python loop runs over gated pairs (about one per detection), not over the full matrix.
    """
    rows, cols = np.nonzero(score >= min_score)
    order = np.argsort(-score[rows, cols], kind="stable")
    used_rows: set[int] = set()
    used_cols: set[int] = set()
    keep: list[int] = []
    for k in order.tolist():
        r, c = int(rows[k]), int(cols[k])
        if r not in used_rows and c not in used_cols:
            used_rows.add(r)
            used_cols.add(c)
            keep.append(k)
    return rows[keep], cols[keep]


@dataclass
class _Tracks:
    """Columnar state of T tracks."""

    xyxy: np.ndarray  # (T, 4) float64 last matched box
    velocity: np.ndarray  # (T, 2) float64 box-centre velocity, px/s
    class_id: np.ndarray  # (T,) int32
    confidence: np.ndarray  # (T,) float32 last matched score
    track_id: np.ndarray  # (T,) int64, NO_TRACK until confirmed
    hits: np.ndarray  # (T,) int32 matched detections so far
    seen_s: np.ndarray  # (T,) float64 time of the last match
    tracked: np.ndarray  # (T,) bool matched at the latest update (False = lost)
    still_xy: np.ndarray  # (T, 2) float64 box centre where the track settled
    still_since: np.ndarray  # (T,) float64 time it settled there (stayed within half a box height since)

    @classmethod
    def empty(cls) -> _Tracks:
        return cls(
            np.zeros((0, 4)), np.zeros((0, 2)), np.zeros(0, np.int32), np.zeros(0, np.float32),
            np.zeros(0, np.int64), np.zeros(0, np.int32), np.zeros(0), np.zeros(0, bool), np.zeros((0, 2)),
            np.zeros(0),
        )  # fmt: skip

    def __len__(self) -> int:
        return int(self.xyxy.shape[0])

    def take(self, index: np.ndarray) -> _Tracks:
        return _Tracks(*(getattr(self, f.name)[index] for f in fields(self)))

    def extend(self, other: _Tracks) -> _Tracks:
        return _Tracks(*(np.concatenate([getattr(self, f.name), getattr(other, f.name)]) for f in fields(self)))

    def boxes_at(self, t_s: float) -> np.ndarray:
        """Boxes extrapolated to ``t_s`` at constant centre velocity (size kept)."""
        shift = self.velocity * (t_s - self.seen_s)[:, None]
        return self.xyxy + np.tile(shift, 2)


class ByteTracker:
    """Two-stage IoU tracker: confident boxes claim tracks first, weak boxes only extend live tracks.

    Association is class-aware (a bag never continues a person's track). Tentative tracks that miss
    one update are dropped, as in ByteTrack, so detector noise does not burn ids; ids are handed out
    at confirmation (``min_hits`` matches) and increase monotonically for the tracker's lifetime.
    """

    def __init__(self, config: TrackerConfig) -> None:
        self.config = config
        self._next_id = 1
        self._tracks = _Tracks.empty()

    def reset(self) -> None:
        self._tracks = _Tracks.empty()

    def update(self, detections: Detections, t_s: float) -> Detections:
        """All input rows in order; ``tracker_id`` set where the row continues a confirmed track."""
        cfg = self.config
        tracks = self._tracks
        boxes = detections.xyxy.astype(np.float64)
        # Score against the extrapolated and the last seen box: a target that stopped while hidden
        # is still found where it was, one that kept walking is found where it went.
        iou = np.maximum(box_iou(tracks.boxes_at(t_s), boxes), box_iou(tracks.xyxy, boxes))
        same_class = tracks.class_id[:, None] == detections.class_id[None, :]
        iou[~same_class] = 0.0
        high = np.flatnonzero(detections.confidence >= cfg.high_confidence)
        low = np.flatnonzero(detections.confidence < cfg.high_confidence)
        live = np.flatnonzero(tracks.tracked)
        gone_s = t_s - tracks.seen_s
        # 1. Confident boxes continue live tracks. 2. Weak boxes (occluded, blurred) continue the live
        # tracks left. 3. Confident boxes left revive tracks lost within lost_s. Weak boxes never start a
        # track: that is what makes noise look like people.
        t1, d1 = _pairs(iou, live, high, cfg.match_iou)
        t2, d2 = _pairs(iou, np.setdiff1d(live, t1), low, cfg.match_iou)
        recent = np.flatnonzero(~tracks.tracked & (gone_s <= cfg.lost_s))
        t3, d3 = _pairs(iou, recent, np.setdiff1d(high, d1), cfg.match_iou)
        # 4. A person who stood still is revived by any box on their last box, however weak.
        still = np.flatnonzero(~tracks.tracked & self._still(tracks) & (gone_s <= cfg.still_lost_s))
        last_iou = np.where(same_class, box_iou(tracks.xyxy, boxes), 0.0)
        used = np.concatenate([d1, d2, d3]).astype(np.intp)
        t4, d4 = _pairs(last_iou, np.setdiff1d(still, t3), np.setdiff1d(np.arange(len(boxes)), used), cfg.revive_iou)
        ti = np.concatenate([t1, t2, t3, t4]).astype(np.intp)
        di = np.concatenate([d1, d2, d3, d4]).astype(np.intp)

        self._follow(ti, boxes[di], detections, di, t_s)
        unmatched = np.ones(len(detections), bool)
        unmatched[di] = False
        born = high[unmatched[high]]
        tracks = self._tracks.extend(self._birth(boxes[born], detections, born, t_s))
        ti = np.concatenate([ti, np.arange(len(self._tracks), len(tracks))])
        di = np.concatenate([di, born])

        confirm = (tracks.track_id == NO_TRACK) & (tracks.hits >= cfg.min_hits)
        tracks.track_id[confirm] = self._next_id + np.arange(int(confirm.sum()))
        self._next_id += int(confirm.sum())
        out = np.full(len(detections), NO_TRACK, np.int64)
        out[di] = tracks.track_id[ti]

        keep_s = np.where(self._still(tracks), max(cfg.lost_s, cfg.still_lost_s), cfg.lost_s)
        keep = tracks.tracked | ((tracks.track_id != NO_TRACK) & (t_s - tracks.seen_s <= keep_s))
        self._tracks = tracks.take(keep)
        return detections.with_tracker_ids(out)

    def _still(self, tracks: _Tracks) -> np.ndarray:
        """(T,) bool: the track stayed on one spot for ``still_s`` up to its last match."""
        return np.asarray(tracks.seen_s - tracks.still_since >= self.config.still_s)

    def predicted(self, t_s: float) -> Detections:
        """Confirmed tracks seen at the latest update, boxes extrapolated to ``t_s`` (frames between detections)."""
        tracks = self._tracks.take(self._tracks.tracked & (self._tracks.track_id != NO_TRACK))
        return Detections(tracks.boxes_at(t_s), tracks.confidence, tracks.class_id, tracks.track_id)

    def _follow(self, ti: np.ndarray, boxes: np.ndarray, detections: Detections, di: np.ndarray, t_s: float) -> None:
        tracks = self._tracks
        dt = (t_s - tracks.seen_s[ti])[:, None]
        step = _centres(boxes) - _centres(tracks.xyxy[ti])
        measured = np.divide(step, dt, out=tracks.velocity[ti].copy(), where=dt > 0)
        # A track with one hit has no velocity yet: take the first measurement as is.
        smoothed = VELOCITY_SMOOTHING * measured + (1 - VELOCITY_SMOOTHING) * tracks.velocity[ti]
        tracks.velocity[ti] = np.where(tracks.hits[ti, None] > 1, smoothed, measured)
        tracks.xyxy[ti] = boxes
        tracks.confidence[ti] = detections.confidence[di]
        tracks.hits[ti] += 1
        tracks.seen_s[ti] = t_s
        tracks.tracked[:] = False
        tracks.tracked[ti] = True
        # Settled while the centre stays within half a box height of where it settled.
        centres = _centres(boxes)
        drift = np.hypot(*(centres - tracks.still_xy[ti]).T)
        moved = drift > 0.5 * np.maximum(boxes[:, 3] - boxes[:, 1], 1.0)
        tracks.still_xy[ti[moved]] = centres[moved]
        tracks.still_since[ti[moved]] = t_s

    @staticmethod
    def _birth(boxes: np.ndarray, detections: Detections, rows: np.ndarray, t_s: float) -> _Tracks:
        n = len(rows)
        return _Tracks(
            boxes, np.zeros((n, 2)), detections.class_id[rows], detections.confidence[rows],
            np.full(n, NO_TRACK, np.int64), np.ones(n, np.int32), np.full(n, t_s), np.ones(n, bool),
            _centres(boxes), np.full(n, t_s),
        )  # fmt: skip


def _pairs(score: np.ndarray, tracks: np.ndarray, dets: np.ndarray, min_score: float) -> tuple[np.ndarray, np.ndarray]:
    """Greedy (track, detection) index pairs among the given rows and columns of ``score``."""
    rows, cols = greedy_match(score[np.ix_(tracks, dets)], min_score)
    return tracks[rows], dets[cols]


def _centres(xyxy: np.ndarray) -> np.ndarray:
    return (xyxy[:, :2] + xyxy[:, 2:]) * 0.5
