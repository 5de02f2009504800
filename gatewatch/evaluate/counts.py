"""Run counting modes over labelled sequences: per-frame scores by density, continuity, detector cost."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from gatewatch.evaluate.labelled import LabelledFrame, Sequence
from gatewatch.evaluate.scoring import Continuity, FrameScore, score_frame
from gatewatch.vision.analytics_config import TrackerConfig
from gatewatch.vision.detections import Detections
from gatewatch.vision.detector import Detector
from gatewatch.vision.errors import UserError
from gatewatch.vision.tiling import TileGrid, detect_tiled
from gatewatch.vision.tracker import ByteTracker

# Who counts. "mot": MOT's rule (pedestrians; standing people are don't-care). "with_standing": standing
# and waiting people count too, as at a gate. "visible": MOT's rule on people at least 25 % visible.
RULES = ("mot", "with_standing", "visible")
VISIBLE = 0.25
DENSITY_BINS = (
    (0, 10, "sparse (<10)"),
    (10, 30, "medium (10-29)"),
    (30, 10**6, "dense (>=30)"),
)


@dataclass(frozen=True, slots=True)
class Mode:
    name: str
    grid: TileGrid | None  # None: the whole frame at the model's input size

    @property
    def inferences(self) -> int:
        return 1 if self.grid is None else self.grid.cols * self.grid.rows


@dataclass
class ModeRun:
    """A mode's detections over one sequence, before any confidence threshold (applied when scoring)."""

    mode: Mode
    frames: list[LabelledFrame]
    detections: list[Detections] = field(default_factory=list)


def truth_for(frame: LabelledFrame, rule: str) -> tuple[np.ndarray, np.ndarray]:
    """(people to count, don't-care boxes) of a frame under a counting rule."""
    if rule == "with_standing":
        return frame.xyxy, frame.xyxy[:0]
    counted = ~frame.standing
    if rule == "visible":
        counted &= frame.visibility >= VISIBLE
    return frame.xyxy[counted], frame.xyxy[~counted]


def read_image(path: Path) -> np.ndarray:
    image = cv2.imread(str(path))
    if image is None:
        raise UserError(f"{path}: not a readable image")
    return image


def run_mode(
    detector: Detector,
    mode: Mode,
    sequence: Sequence,
    progress: Callable[[str], None],
) -> ModeRun:
    run = ModeRun(mode, sequence.frames)
    for i, frame in enumerate(sequence.frames):
        image = read_image(frame.image)
        (found,) = detect_tiled(detector, [image], [mode.grid])
        run.detections.append(found[found.class_id == 0])
        if (i + 1) % 10 == 0 or i + 1 == len(sequence.frames):
            progress(f"{sequence.name} {mode.name}: {i + 1}/{len(sequence.frames)} frames")
    return run


def frame_scores(run: ModeRun, rule: str, confidence: float) -> Iterator[FrameScore]:
    for frame, found in zip(run.frames, run.detections):
        truth, dont_care = truth_for(frame, rule)
        yield score_frame(found.xyxy[found.confidence >= confidence], truth, dont_care)


def summarise(scores: list[FrameScore]) -> dict[str, object]:
    """Per-frame means (each frame weighs the same) and pooled figures over the frames."""
    if not scores:
        return {"frames": 0}
    truth = sum(s.truth for s in scores)
    found = sum(s.found for s in scores)
    matched = sum(s.matched for s in scores)
    errors = np.array([s.count_error for s in scores], np.float64)
    return {
        "frames": len(scores),
        "people_per_frame": round(truth / len(scores), 1),
        "recall_mean": round(float(np.mean([s.recall for s in scores])), 3),
        "precision_mean": round(float(np.mean([s.precision for s in scores])), 3),
        "recall_pooled": round(matched / truth, 3) if truth else None,
        "precision_pooled": round(matched / found, 3) if found else None,
        "count_error_mean": round(float(errors.mean()), 2),
        "count_abs_error_mean": round(float(np.abs(errors).mean()), 2),
        "count_ratio": round(found / truth, 3) if truth else None,
    }


def by_density(scores: list[FrameScore]) -> dict[str, dict[str, object]]:
    return {
        label: summarise([s for s in scores if lo <= s.truth < hi])
        for lo, hi, label in DENSITY_BINS
        if any(lo <= s.truth < hi for s in scores)
    }


def continuity(run: ModeRun, tracker: TrackerConfig, confidence: float) -> dict[str, object]:
    """ID switches and fragmentations of the tracker fed this mode's detections, people standing included."""
    bytetrack = ByteTracker(tracker)
    tally = Continuity()
    for frame, found in zip(run.frames, run.detections):
        tracked = bytetrack.update(found[found.confidence >= confidence], frame.t_s)
        confirmed = tracked[tracked.tracker_id >= 0]
        tally.add(frame.track_id, frame.xyxy, confirmed.tracker_id, confirmed.xyxy)
    return {
        "truth_tracks": tally.truth_tracks,
        "truth_boxes": tally.truth_boxes,
        "tracked_boxes": tally.matches,
        "id_switches": tally.id_switches,
        "fragmentations": tally.fragmentations,
    }


def interleaved_cost(
    detector: Detector, modes: list[Mode], images: list[np.ndarray], rounds: int
) -> dict[str, list[float]]:
    """Detector milliseconds per frame of each mode, the modes taking turns on every image.

    Taking turns makes the comparison fair on a shared machine: a burst of load from elsewhere hits
    all modes alike instead of whichever happened to be running.
    """
    times: dict[str, list[float]] = {mode.name: [] for mode in modes}
    for _ in range(rounds):
        for image in images:
            for mode in modes:
                start = time.perf_counter()
                detect_tiled(detector, [image], [mode.grid])
                times[mode.name].append((time.perf_counter() - start) * 1000.0)
    return times


def cost(mode: Mode, detect_ms: list[float], detection_fps: float) -> dict[str, object]:
    """Detector wall time per frame (tiles, inference, merge; not JPEG decode) and streams it allows."""
    ms = float(np.median(detect_ms))
    return {
        "inferences_per_frame": mode.inferences,
        "detect_ms_median": round(ms, 1),
        "detect_ms_p90": round(float(np.percentile(detect_ms, 90)), 1),
        "streams_per_2_cores_at_fps": detection_fps,
        # Detection only, each core running one 1-thread session; decoding and analytics come on top.
        "streams_per_2_cores_detector_only": round(2 * 1000.0 / (ms * detection_fps), 1),
    }
