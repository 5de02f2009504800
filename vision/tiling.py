"""Tiled detection for dense crowds: overlapping crops at the model's native resolution, merged back.

A 416 px model letterboxes a 1920x1080 frame to 416x234: a 170 px person becomes 37 px, about the
smallest size YOLOX-Nano was trained to find, and a dense crowd is half counted. Two overlapping
1038x1080 tiles fill the square input (scale 0.385 instead of 0.217) at twice the inference cost.
Tiles go to the detector in one ``detect_batch`` call (one ONNX Runtime run where the model has a
dynamic batch; a loop of runs for the shipped batch-1 models).

A person cut by an interior tile border is seen whole by the neighbouring tile when the overlap is
wider than the person, so a cut box is dropped where another tile's box covers it; duplicates in the
overlap merge by class-aware NMS at the detector's IoU.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from gatewatch.vision.analytics_config import TilingConfig
from gatewatch.vision.detections import Detections
from gatewatch.vision.detector import Detector

CUT_MARGIN_PX = 2.0  # a box edge this close to an interior tile border was cut by it
COVERED_FRACTION = 0.5  # a cut box mostly inside another tile's box is the same person, seen in part
AUTO_MIN_ASPECT = 1.5  # 'auto' tiles frames at least this much wider than tall (16:9 yes, 4:3 no)


@dataclass(frozen=True, slots=True)
class TileGrid:
    """``cols`` x ``rows`` tiles over the whole frame, neighbours overlapping by ``overlap`` of a tile."""

    cols: int
    rows: int
    overlap: float
    merge_iou: float = 0.45

    def __post_init__(self) -> None:
        if self.cols < 1 or self.rows < 1 or not 0.0 <= self.overlap < 1.0:
            raise ValueError(
                f"expected cols, rows >= 1 and 0 <= overlap < 1, got {self.cols}, {self.rows}, {self.overlap}"
            )

    def rects(self, width: int, height: int) -> np.ndarray:
        """(cols * rows, 4) int xyxy tile rectangles covering a ``width`` x ``height`` frame, row by row."""
        xs = _spans(width, self.cols, self.overlap)
        ys = _spans(height, self.rows, self.overlap)
        return np.array([[x0, y0, x1, y1] for y0, y1 in ys for x0, x1 in xs], np.int64)


def grid_for(tiling: TilingConfig, has_crowding: bool, width: int, height: int) -> TileGrid | None:
    """The tile grid a camera's frames of this size go to the detector in; None = the whole frame."""
    tiled = tiling.mode == "tiles" or (tiling.mode == "auto" and has_crowding and width >= AUTO_MIN_ASPECT * height)
    return TileGrid(*tiling.grid, tiling.overlap, tiling.merge_iou) if tiled else None


def _spans(length: int, count: int, overlap: float) -> list[tuple[int, int]]:
    """``count`` equal spans over 0..length, each overlapping the next by ``overlap`` of a span."""
    size = length / (count - overlap * (count - 1))
    step = size * (1.0 - overlap)
    return [(round(i * step), min(length, round(i * step + size))) for i in range(count)]


def detect_tiled(detector: Detector, frames: list[np.ndarray], grids: list[TileGrid | None]) -> list[Detections]:
    """Detections of each frame: whole where its grid is None, else from its tiles; one ``detect_batch`` call."""
    crops: list[np.ndarray] = []
    rects: list[np.ndarray] = []
    for frame, grid in zip(frames, grids):
        height, width = frame.shape[:2]
        frame_rects = np.array([[0, 0, width, height]]) if grid is None else grid.rects(width, height)
        rects.append(frame_rects)
        crops.extend(frame[y0:y1, x0:x1] for x0, y0, x1, y1 in frame_rects.tolist())
    found = detector.detect_batch(crops) if crops else []
    out, start = [], 0
    for frame, frame_rects, grid in zip(frames, rects, grids):
        parts = found[start : start + len(frame_rects)]
        start += len(frame_rects)
        height, width = frame.shape[:2]
        out.append(parts[0] if grid is None else merge_tiles(parts, frame_rects, width, height, grid.merge_iou))
    return out


def merge_tiles(parts: list[Detections], rects: np.ndarray, width: int, height: int, nms_iou: float) -> Detections:
    """One frame's detections from its tiles' (boxes in tile pixels, ``rects`` in frame pixels)."""
    xyxy = np.concatenate([p.xyxy + np.tile(r[:2], 2).astype(np.float32) for p, r in zip(parts, rects)])
    merged = Detections(
        xyxy,
        np.concatenate([p.confidence for p in parts]),
        np.concatenate([p.class_id for p in parts]),
    )
    tile = np.repeat(np.arange(len(parts)), [len(p) for p in parts])
    cut = _cut_by_border(merged.xyxy, rects[tile], width, height)
    keep_rows = ~_covered(merged, tile, cut)
    merged, tile = merged[keep_rows], tile[keep_rows]
    if len(merged) == 0:
        return merged
    xywh = np.concatenate([merged.xyxy[:, :2], merged.xyxy[:, 2:] - merged.xyxy[:, :2]], axis=1)
    # OpenCV's stubs list Sequence parameters; the function takes (and is fed) arrays.
    keep = cv2.dnn.NMSBoxesBatched(
        xywh,  # type: ignore[arg-type]
        merged.confidence,  # type: ignore[arg-type]
        merged.class_id,  # type: ignore[arg-type]
        0.0,
        nms_iou,
        eta=1.0,
        top_k=0,
    )
    return merged[np.sort(np.asarray(keep, dtype=np.intp).reshape(-1))]


def _cut_by_border(xyxy: np.ndarray, tile_rects: np.ndarray, width: int, height: int) -> np.ndarray:
    """(N,) bool: the box touches a border of its tile that lies inside the frame (not the frame's edge)."""
    lo, hi = tile_rects[:, :2].astype(np.float32), tile_rects[:, 2:].astype(np.float32)
    frame_hi = np.array([width, height], np.float32)
    at_lo = (xyxy[:, :2] <= lo + CUT_MARGIN_PX) & (lo > 0)
    at_hi = (xyxy[:, 2:] >= hi - CUT_MARGIN_PX) & (hi < frame_hi)
    return np.asarray((at_lo | at_hi).any(axis=1))


def _covered(dets: Detections, tile: np.ndarray, cut: np.ndarray) -> np.ndarray:
    """(N,) bool: a cut box lying mostly inside a same-class box from another tile."""
    if not cut.any():
        return np.zeros(len(dets), bool)
    a, b = dets.xyxy[cut], dets.xyxy
    wh = np.clip(
        np.minimum(a[:, None, 2:], b[None, :, 2:]) - np.maximum(a[:, None, :2], b[None, :, :2]),
        0,
        None,
    )
    inter = wh[..., 0] * wh[..., 1]
    area = np.prod(np.clip(a[:, 2:] - a[:, :2], 1e-6, None), axis=1)
    other = (tile[cut][:, None] != tile[None, :]) & (dets.class_id[cut][:, None] == dets.class_id[None, :])
    covered = np.zeros(len(dets), bool)
    covered[np.flatnonzero(cut)] = ((inter / area[:, None] >= COVERED_FRACTION) & other).any(axis=1)
    return covered
