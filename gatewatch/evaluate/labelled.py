"""Labelled pedestrian frames in the crowds layout: ``images/NNNNNN.jpg`` and ``boxes.csv`` (MOT ground truth).

``boxes.csv`` holds every ground-truth row of the frames taken, with its MOT track id, visibility and a
``status``: ``kept`` (a counted pedestrian), ``ignore`` (MOT's "static person": standing, sitting,
waiting) or ``other`` (vehicles, occluders; never read here).
"""

from __future__ import annotations

import configparser
import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gatewatch.vision.errors import UserError

REQUIRED_COLUMNS = {
    "frame",
    "image",
    "track_id",
    "bb_left",
    "bb_top",
    "bb_width",
    "bb_height",
    "status",
}


@dataclass(frozen=True, slots=True)
class LabelledFrame:
    """One frame's people; boxes are xyxy in image pixels (MOT's 1-based corner moved to 0-based)."""

    image: Path
    number: int  # frame number in the sequence
    t_s: float  # number / sequence fps, from frame 1 at 0 s
    xyxy: np.ndarray  # (N, 4) float32, counted pedestrians and standing people (see ``standing``)
    track_id: np.ndarray  # (N,) int64 ground-truth identity
    standing: np.ndarray  # (N,) bool: MOT's ignored "static person"
    visibility: np.ndarray  # (N,) float32, 1.0 where the sequence has no visibility column


@dataclass(frozen=True, slots=True)
class Sequence:
    name: str
    fps: float
    frames: list[LabelledFrame]


def load_sequence(folder: Path) -> Sequence:
    """The frames under ``folder``, in frame order; UserError naming the file and line for bad input."""
    csv_path = folder / "boxes.csv"
    if not csv_path.is_file():
        raise UserError(f"{folder}: no boxes.csv (expected the crowds layout: images/, boxes.csv, annotations/)")
    fps, size = _sequence_info(folder)
    rows: dict[int, list[tuple[list[float], int, bool, float]]] = {}
    images: dict[int, str] = {}
    with csv_path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        missing = REQUIRED_COLUMNS - set(reader.fieldnames or ())
        if missing:
            raise UserError(f"{csv_path}: missing column(s) {sorted(missing)}")
        for line, row in enumerate(reader, start=2):
            if row["status"] not in ("kept", "ignore"):
                continue
            try:
                frame = int(row["frame"])
                left, top = float(row["bb_left"]) - 1.0, float(row["bb_top"]) - 1.0
                box = [
                    left,
                    top,
                    left + float(row["bb_width"]),
                    top + float(row["bb_height"]),
                ]
                visibility = float(row.get("visibility") or 1.0)
                track = int(row["track_id"])
            except ValueError as exc:
                raise UserError(f"{csv_path}, line {line}: {exc}") from exc
            images[frame] = row["image"]
            rows.setdefault(frame, []).append((box, track, row["status"] == "ignore", visibility))
    frames = [_frame(folder / "images" / images[n], n, fps, size, rows[n]) for n in sorted(rows)]
    return Sequence(folder.name, fps, frames)


def _frame(
    image: Path,
    number: int,
    fps: float,
    size: tuple[int, int],
    rows: list[tuple[list[float], int, bool, float]],
) -> LabelledFrame:
    if not image.is_file():
        raise UserError(f"{image}: listed in boxes.csv but missing")
    xyxy = np.array([r[0] for r in rows], np.float32).reshape(-1, 4)
    # People partly out of view: the detector's boxes are clipped to the image, so the truth is too.
    np.clip(xyxy[:, 0::2], 0, size[0], out=xyxy[:, 0::2])
    np.clip(xyxy[:, 1::2], 0, size[1], out=xyxy[:, 1::2])
    return LabelledFrame(
        image=image,
        number=number,
        t_s=(number - 1) / fps,
        xyxy=xyxy,
        track_id=np.array([r[1] for r in rows], np.int64),
        standing=np.array([r[2] for r in rows], bool),
        visibility=np.array([r[3] for r in rows], np.float32),
    )


def _sequence_info(folder: Path) -> tuple[float, tuple[int, int]]:
    """(fps, (width, height)) from the MOT ``seqinfo.ini``."""
    ini = folder / "annotations" / "seqinfo.ini"
    parser = configparser.ConfigParser()
    keys = ("frameRate", "imWidth", "imHeight")
    if not parser.read(ini) or not all(parser.has_option("Sequence", k) for k in keys):
        raise UserError(f"{ini}: expected a MOT seqinfo.ini with [Sequence] {', '.join(keys)}")
    section = parser["Sequence"]
    return float(section["frameRate"]), (
        int(section["imWidth"]),
        int(section["imHeight"]),
    )
