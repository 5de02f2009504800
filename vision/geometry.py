"""Polygon geometry: validation and vectorised point-in-polygon."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def polygon_area(points: np.ndarray) -> float:
    """Unsigned shoelace area of an (M, 2) polygon."""
    x, y = points[:, 0], points[:, 1]
    return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) * 0.5)


ROW_BLOCK = 128  # edges compared with all others per step: bounds memory at ROW_BLOCK x M per array


def _orient(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Sign of the turn a -> b -> c (cross product), broadcast over leading axes."""
    return (b[..., 0] - a[..., 0]) * (c[..., 1] - a[..., 1]) - (b[..., 1] - a[..., 1]) * (c[..., 0] - a[..., 0])


def _on_segment(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """c inside the bounding box of segment a-b (used where c is collinear with it)."""
    return (
        (np.minimum(a[..., 0], b[..., 0]) <= c[..., 0])
        & (c[..., 0] <= np.maximum(a[..., 0], b[..., 0]))
        & (np.minimum(a[..., 1], b[..., 1]) <= c[..., 1])
        & (c[..., 1] <= np.maximum(a[..., 1], b[..., 1]))
    )


def _crossings(p1: np.ndarray, p2: np.ndarray, q1: np.ndarray, q2: np.ndarray) -> np.ndarray:
    """Which segment pairs p1-p2 / q1-q2 cross or touch (proper crossings, and collinear contact)."""
    d1, d2 = _orient(q1, q2, p1), _orient(q1, q2, p2)
    d3, d4 = _orient(p1, p2, q1), _orient(p1, p2, q2)
    proper = ((d1 > 0) != (d2 > 0)) & ((d3 > 0) != (d4 > 0)) & (d1 != 0) & (d2 != 0) & (d3 != 0) & (d4 != 0)
    touching = (
        ((d1 == 0) & _on_segment(q1, q2, p1))
        | ((d2 == 0) & _on_segment(q1, q2, p2))
        | ((d3 == 0) & _on_segment(p1, p2, q1))
        | ((d4 == 0) & _on_segment(p1, p2, q2))
    )
    return proper | touching


def first_self_crossing(pts: np.ndarray) -> tuple[int, int] | None:
    """The first pair of non-neighbouring edges (i < j) of the closed (M, 2) polygon that cross, or None.

    All pairs at once with numpy, in row blocks: a zone's polygon (at most 100 points in the config) is
    checked in well under a millisecond, and a large one never holds more than ROW_BLOCK x M per array.
    """
    m = len(pts)
    starts, ends = pts, np.roll(pts, -1, axis=0)
    j = np.arange(m)
    for first in range(0, m, ROW_BLOCK):
        i = np.arange(first, min(first + ROW_BLOCK, m))[:, None]
        # Neighbouring edges share a vertex; edge 0 and edge m-1 are neighbours through the closing point.
        candidates = (j > i + 1) & ~((i == 0) & (j == m - 1))
        crossing = candidates & _crossings(starts[i], ends[i], starts[None, :], ends[None, :])
        found = np.argwhere(crossing)
        if found.size:
            return first + int(found[0, 0]), int(found[0, 1])
    return None


def polygon_problem(points: Sequence[Sequence[float]]) -> str | None:
    """Why a normalised polygon is unusable, or None when it is fine."""
    pts = np.asarray(points, dtype=np.float64)
    if pts.ndim != 2 or pts.shape[1] != 2:
        return f"expected a list of [x, y] points, got shape {pts.shape}"
    if len(pts) < 3:
        return f"expected at least 3 points, got {len(pts)}"
    outside = np.flatnonzero((pts < 0).any(axis=1) | (pts > 1).any(axis=1))
    if outside.size:
        i = int(outside[0])
        return f"point {i} {pts[i].tolist()} is outside the frame (coordinates are normalised 0..1)"
    crossing = first_self_crossing(pts)
    if crossing is not None:
        i, j = crossing
        m = len(pts)
        return f"polygon is self-intersecting: edge {i}-{(i + 1) % m} crosses edge {j}-{(j + 1) % m}"
    if polygon_area(pts) < 1e-6:
        return "polygon has no area (points are collinear or repeated)"
    return None


def points_in_polygon(points: np.ndarray, polygon: np.ndarray, edge_tolerance: float = 1e-6) -> np.ndarray:
    """(N,) bool: which of the (N, 2) points lie inside the (M, 2) polygon or on its edge (vectorised).

    Edges are inclusive: a point within ``edge_tolerance`` (in the points' units) of an edge belongs to
    the polygon, so a person whose box is clipped to the frame's bottom row stands inside a whole-frame
    zone, and a person on the border two zones share is in both. Inside is the even-odd rule.
    """
    if len(points) == 0:
        return np.zeros(0, dtype=bool)
    px = points[:, 0:1].astype(np.float64)
    py = points[:, 1:2].astype(np.float64)
    x1, y1 = polygon[:, 0].astype(np.float64), polygon[:, 1].astype(np.float64)
    x2, y2 = np.roll(x1, -1), np.roll(y1, -1)
    straddles = (y1 > py) != (y2 > py)
    with np.errstate(divide="ignore", invalid="ignore"):
        x_cross = x1 + (py - y1) * (x2 - x1) / (y2 - y1)
    crossings = straddles & (px < x_cross)
    inside = (np.count_nonzero(crossings, axis=1) % 2) == 1
    return inside | _on_edge(px, py, polygon, edge_tolerance).any(axis=1)


def _on_edge(px: np.ndarray, py: np.ndarray, polygon: np.ndarray, tolerance: float) -> np.ndarray:
    """(N, M) bool: point n lies within ``tolerance`` of edge m (distance to the segment, not the line)."""
    x1, y1 = polygon[:, 0].astype(np.float64), polygon[:, 1].astype(np.float64)
    dx, dy = np.roll(x1, -1) - x1, np.roll(y1, -1) - y1
    length_sq = np.maximum(dx * dx + dy * dy, 1e-18)
    along = np.clip(((px - x1) * dx + (py - y1) * dy) / length_sq, 0.0, 1.0)
    gap_x, gap_y = px - (x1 + along * dx), py - (y1 + along * dy)
    return gap_x * gap_x + gap_y * gap_y <= tolerance * tolerance
