"""Weapon evaluation metrics: matching, AP50 and size buckets on boxes whose answers are known by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gatewatch.evaluate.weapons.metrics import ClassTally, match, size_bucket


def boxes(*rows: tuple[float, float, float, float]) -> np.ndarray:
    return np.array(rows, np.float32).reshape(-1, 4)


def test_size_buckets_follow_coco_areas() -> None:
    got = size_bucket(boxes((0, 0, 31, 31), (0, 0, 32, 32), (0, 0, 96, 96), (0, 0, 97, 97)))
    assert got.tolist() == [0, 1, 1, 2]


def test_one_truth_box_matches_only_the_best_scored_overlapping_prediction() -> None:
    truth = boxes((0, 0, 100, 100))
    pred = boxes((0, 0, 100, 100), (2, 2, 100, 100), (200, 200, 250, 250))
    tp, found = match(pred, np.array([0.6, 0.9, 0.8]), truth)
    assert tp.tolist() == [False, True, False]
    assert found.tolist() == [True]


def test_ap50_of_a_perfect_ranking_is_one_and_a_false_first_lowers_it() -> None:
    perfect = ClassTally()
    perfect.add(boxes((0, 0, 50, 50)), np.array([0.9]), boxes((0, 0, 50, 50)))
    perfect.add(boxes((10, 10, 60, 60)), np.array([0.8]), boxes((10, 10, 60, 60)))
    assert perfect.average_precision() == pytest.approx(1.0)
    worse = ClassTally()
    worse.add(boxes((0, 0, 50, 50), (300, 300, 350, 350)), np.array([0.7, 0.95]), boxes((0, 0, 50, 50)))
    # ranked: false (p=0), true (recall 1 at precision 1/2)
    assert worse.average_precision() == pytest.approx(0.5)


def test_precision_and_recall_at_threshold_overall_and_by_size() -> None:
    tally = ClassTally()
    tally.add(  # large truth found at 0.8, small truth missed, one small false alarm at 0.6
        boxes((0, 0, 200, 200), (300, 300, 320, 320)),
        np.array([0.8, 0.6]),
        boxes((0, 0, 200, 200), (100, 300, 120, 320)),
    )
    overall = tally.at_threshold(0.5)
    assert (overall["ground_truth"], overall["predictions"]) == (2, 2)
    assert overall["precision"] == pytest.approx(0.5) and overall["recall"] == pytest.approx(0.5)
    large, small = tally.at_threshold(0.5, bucket=2), tally.at_threshold(0.5, bucket=0)
    assert large["precision"] == 1.0 and large["recall"] == 1.0
    assert small["precision"] == 0.0 and small["recall"] == 0.0
    above = tally.at_threshold(0.9)
    assert above["predictions"] == 0 and math.isnan(above["precision"]) and above["recall"] == 0.0
