"""Detection metrics for one class: greedy IoU matching, AP50 (all-point interpolation), size buckets.

Sizes follow COCO's areas at the model input (416x416 here): small < 32², medium 32²..96², large > 96².
A prediction's size bucket is its own box's; a ground-truth box's is its own: recall in a bucket counts
ground truth of that size found by a prediction of any size, precision counts predictions of that size.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

IOU_MATCH = 0.5
SIZE_BUCKETS = ("small", "medium", "large")
SMALL_MAX, LARGE_MIN = 32.0**2, 96.0**2


def size_bucket(xyxy: np.ndarray) -> np.ndarray:
    """Bucket index per (N, 4) box: 0 small, 1 medium, 2 large."""
    area = (xyxy[:, 2] - xyxy[:, 0]).clip(0) * (xyxy[:, 3] - xyxy[:, 1]).clip(0)
    bucket = np.ones(len(xyxy), np.int64)
    bucket[area < SMALL_MAX] = 0
    bucket[area > LARGE_MIN] = 2
    return bucket


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = (rb - lt).clip(0).prod(-1)
    area_a = (a[:, 2:] - a[:, :2]).clip(0).prod(-1)
    area_b = (b[:, 2:] - b[:, :2]).clip(0).prod(-1)
    iou: np.ndarray = inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-9)
    return iou


def match(pred: np.ndarray, score: np.ndarray, truth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Greedy by score: (true-positive flag per prediction, matched flag per ground-truth box)."""
    tp = np.zeros(len(pred), bool)
    found = np.zeros(len(truth), bool)
    if len(pred) == 0 or len(truth) == 0:
        return tp, found
    ious = iou_matrix(pred, truth)
    for i in np.argsort(-score, kind="stable"):
        candidates = np.where(found, -1.0, ious[i])
        j = int(candidates.argmax())
        if candidates[j] >= IOU_MATCH:
            tp[i], found[j] = True, True
    return tp, found


@dataclass
class ClassTally:
    """Per-prediction scores and outcomes over an image set, for one class."""

    scores: list[np.ndarray] = field(default_factory=list)
    true_pos: list[np.ndarray] = field(default_factory=list)
    pred_bucket: list[np.ndarray] = field(default_factory=list)
    truth_bucket: list[np.ndarray] = field(default_factory=list)
    truth_best_score: list[np.ndarray] = field(default_factory=list)  # best matching score, 0 when missed

    def add(self, pred: np.ndarray, score: np.ndarray, truth: np.ndarray) -> None:
        tp, _ = match(pred, score, truth)
        best = np.zeros(len(truth), np.float32)
        if len(pred) and len(truth):  # a box counts as found at threshold t if any pred >= t matches it there
            ious = iou_matrix(pred, truth)
            for j in range(len(truth)):
                hits = score[ious[:, j] >= IOU_MATCH]
                best[j] = hits.max() if hits.size else 0.0
        self.scores.append(score.astype(np.float32))
        self.true_pos.append(tp)
        self.pred_bucket.append(size_bucket(pred) if len(pred) else np.zeros(0, int))
        self.truth_bucket.append(size_bucket(truth) if len(truth) else np.zeros(0, int))
        self.truth_best_score.append(best)

    def _cat(self, parts: list[np.ndarray], dtype: type) -> np.ndarray:
        return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)

    def average_precision(self) -> float:
        scores, tp = self._cat(self.scores, np.float32), self._cat(self.true_pos, bool)
        total = sum(len(t) for t in self.truth_bucket)
        if total == 0:
            return float("nan")
        order = np.argsort(-scores, kind="stable")
        hits = np.cumsum(tp[order])
        recall = hits / total
        precision = hits / np.arange(1, len(order) + 1)
        envelope = np.maximum.accumulate(np.concatenate([precision, [0.0]])[::-1])[::-1]
        steps = np.diff(np.concatenate([[0.0], recall]))
        return float((steps * envelope[:-1]).sum())

    def at_threshold(self, threshold: float, bucket: int | None = None) -> dict[str, float | int]:
        scores, tp = self._cat(self.scores, np.float32), self._cat(self.true_pos, bool)
        pred_bucket, truth_bucket = self._cat(self.pred_bucket, int), self._cat(self.truth_bucket, int)
        best = self._cat(self.truth_best_score, np.float32)
        kept = scores >= threshold
        if bucket is not None:
            kept &= pred_bucket == bucket
        truth = truth_bucket == bucket if bucket is not None else np.ones(len(truth_bucket), bool)
        found = int(((best >= threshold) & truth).sum())
        predictions, correct = int(kept.sum()), int((tp & kept).sum())
        return {
            "ground_truth": int(truth.sum()),
            "predictions": predictions,
            "precision": correct / predictions if predictions else float("nan"),
            "recall": found / int(truth.sum()) if truth.any() else float("nan"),
        }
