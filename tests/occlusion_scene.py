"""A real person standing still while real passers-by walk in front of them, composited from vtest.avi.

vtest.avi (PETS 2009 S2.L1, 10 fps) shows people walking across a campus junction. The scene is built
from it, in memory (no video is written):

* background: the per-pixel median of the clip (the junction without people);
* the standing person: one real walker cut out of frame ``PERSON_FRAME`` by background difference and
  pasted, still, at ``SPOT`` from ``ARRIVE_S`` to ``LEAVE_S``;
* passers-by: every frame's own moving people (background difference, dilated) pasted over that, so
  they pass in front of the standing person and hide them, as long as it takes them to walk by.

``occlusions`` reports how long each passer-by hid the standing person (the fraction of the person's
box covered by passers-by above ``HIDDEN``), so a test can say what it was up against.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from gatewatch.streams.decode import VideoReader

FPS = 10.0
PERSON_FRAME = 300
PERSON_BOX = (195, 131, 217, 186)  # xyxy of the pasted walker in that frame (yolox_nano: 0.77)
SPOT = (240, 140)  # top-left where the person stands: on the busiest footpath of the junction
ARRIVE_S, LEAVE_S = 2.0, 32.0  # 30 s standing
HIDDEN = 0.3  # a person this much covered by passers-by counts as hidden


@dataclass(frozen=True, slots=True)
class Scene:
    frames: np.ndarray  # (N, H, W, 3) uint8 BGR, FPS frames per second
    person_xyxy: tuple[int, int, int, int]  # where the standing person stands in every frame
    hidden: np.ndarray  # (N,) bool: passers-by cover the standing person

    def times(self) -> Iterator[tuple[float, np.ndarray]]:
        for index, frame in enumerate(self.frames):
            yield index / FPS, frame

    def occlusions(self) -> list[float]:
        """Seconds of each spell the standing person was hidden while standing."""
        spells, run = [], 0
        for index, hidden in enumerate(self.hidden):
            standing = ARRIVE_S <= index / FPS < LEAVE_S
            if hidden and standing:
                run += 1
            elif run:
                spells.append(run / FPS)
                run = 0
        return spells + ([run / FPS] if run else [])


def _moving(frame: np.ndarray, background: np.ndarray) -> np.ndarray:
    """(H, W) bool: pixels of people moving in ``frame`` (difference to the background, cleaned, dilated)."""
    diff = (cv2.absdiff(frame, background).max(axis=2) > 35).astype(np.uint8)
    diff = cv2.morphologyEx(diff, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    diff = cv2.morphologyEx(diff, cv2.MORPH_CLOSE, np.ones((7, 7), np.uint8))
    return cv2.dilate(diff, np.ones((3, 3), np.uint8)).astype(bool)


def build_scene(
    clip: Path,
    seconds: float = 45.0,
    person_frame: int = PERSON_FRAME,
    person_box: tuple[int, int, int, int] = PERSON_BOX,
) -> Scene:
    with VideoReader(str(clip)) as reader:
        source = np.stack([frame.image.copy() for frame in reader.frames()])
    background = np.median(source[::4], axis=0).astype(np.uint8)
    x0, y0, x1, y1 = person_box
    person = source[person_frame, y0:y1, x0:x1]
    person_mask = _moving(source[person_frame], background)[y0:y1, x0:x1]
    sx, sy = SPOT
    place = (slice(sy, sy + y1 - y0), slice(sx, sx + x1 - x0))
    frames, hidden = [], []
    for index in range(int(seconds * FPS)):
        frame = source[index]
        moving = _moving(frame, background)
        out = background.copy()
        standing = ARRIVE_S <= index / FPS < LEAVE_S
        if standing:
            out[place][person_mask] = person[person_mask]
        out[moving] = frame[moving]
        frames.append(out)
        hidden.append(bool(moving[place].mean() > HIDDEN))
    return Scene(np.stack(frames), (sx, sy, sx + x1 - x0, sy + y1 - y0), np.array(hidden))
