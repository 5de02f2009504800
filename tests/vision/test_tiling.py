"""Tiled detection: tile geometry, merging people seen by two tiles, the auto policy, and the real model."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import pytest

from gatewatch.streams.decode import VideoReader
from gatewatch.vision.analytics_config import TilingConfig
from gatewatch.vision.detections import Detections
from gatewatch.vision.detector import Detector
from gatewatch.vision.tiling import TileGrid, detect_tiled, grid_for, merge_tiles

GRID = TileGrid(2, 1, 0.15)


def dets(*boxes: list[float], score: float = 0.8) -> Detections:
    return Detections(np.array(boxes, np.float32).reshape(-1, 4), np.full(len(boxes), score), np.zeros(len(boxes)))


def test_tiles_cover_the_frame_and_overlap_by_the_configured_fraction() -> None:
    rects = GRID.rects(1920, 1080)
    assert rects.tolist() == [[0, 0, 1038, 1080], [882, 0, 1920, 1080]]
    assert (rects[0, 2] - rects[1, 0]) == pytest.approx(0.15 * 1038, abs=1)
    grid = TileGrid(3, 2, 0.2).rects(1280, 720)
    assert grid[:, :2].min() == 0 and grid[:, 2].max() == 1280 and grid[:, 3].max() == 720
    assert len(grid) == 6


def test_a_person_cut_by_a_tile_border_is_counted_once_from_the_tile_that_sees_them_whole() -> None:
    rects = GRID.rects(1920, 1080)
    left = dets([960, 400, 1038, 600], [100, 100, 160, 300])  # cut at x=1038; a person wholly in tile 0
    right = dets([960 - 882, 400, 1040 - 882, 600])  # the same person, whole, in tile 1's pixels
    merged = merge_tiles([left, right], rects, 1920, 1080, 0.45)
    assert sorted(merged.xyxy.tolist()) == [[100, 100, 160, 300], [960, 400, 1040, 600]]


def test_people_in_the_overlap_merge_and_the_frame_edge_is_not_a_cut() -> None:
    rects = GRID.rects(1920, 1080)
    left = dets([900, 500, 960, 700], [0, 300, 50, 500], score=0.9)  # in the overlap; against the frame's left edge
    right = dets([902 - 882, 502, 962 - 882, 702], [1870 - 882, 300, 1920 - 882, 500], score=0.7)
    merged = merge_tiles([left, right], rects, 1920, 1080, 0.45)
    assert len(merged) == 3
    assert merged.confidence.tolist().count(np.float32(0.9)) == 2  # the overlap's person keeps the best score


@pytest.mark.parametrize(
    ("mode", "crowding", "size", "tiled"),
    [
        ("auto", True, (1920, 1080), True),
        ("auto", True, (640, 480), False),  # 4:3 fills most of a square input already
        ("auto", False, (1920, 1080), False),  # no crowding zone: no reason to pay twice
        ("frame", True, (1920, 1080), False),
        ("tiles", False, (640, 480), True),
    ],
)
def test_auto_tiles_only_wide_frames_of_cameras_that_count_crowds(
    mode: Literal["auto", "frame", "tiles"], crowding: bool, size: tuple[int, int], tiled: bool
) -> None:
    grid = grid_for(TilingConfig(mode=mode), crowding, *size)
    assert (grid is not None) == tiled


class CountingDetector:
    """The real detector, recording how many crops each batch call carried."""

    def __init__(self, inner: Detector) -> None:
        self.inner = inner
        self.calls: list[list[tuple[int, ...]]] = []
        self.class_names, self.input_size, self.name = inner.class_names, inner.input_size, inner.name

    def detect(self, frame: np.ndarray) -> Detections:
        return self.detect_batch([frame])[0]

    def detect_batch(self, frames: list[np.ndarray]) -> list[Detections]:
        self.calls.append([f.shape[:2] for f in frames])
        return self.inner.detect_batch(frames)


def test_tiles_find_more_of_a_real_street_crowd_in_one_batch_call(detector: Detector, samples_dir: Path) -> None:
    with VideoReader(str(samples_dir / "mot17-04-excerpt.mp4")) as reader:
        frame = next(reader.frames()).image
    counting = CountingDetector(detector)
    whole, tiled = detect_tiled(counting, [frame, frame], [None, GRID])
    assert counting.calls == [[(1080, 1920), (1080, 1038), (1080, 1038)]]
    people = [int((d.class_id == 0).sum()) for d in (whole, tiled)]
    assert people[1] >= 1.3 * people[0], people
    assert tiled.xyxy[:, 2].max() <= 1920 and tiled.xyxy[:, 0].min() >= 0
