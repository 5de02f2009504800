"""Build the weapon training set: usable dataset splits plus colour no-weapon frames from sample clips.

    python -m models.training.prepare --dataset DATASET_DIR --samples SAMPLE_VIDEOS_DIR --out RUN_DIR/data

Writes ``<out>/splits.json`` (image and label paths per split, and what was left out) and the clip frames
under ``<out>/negatives/``. Negatives come only from the *first half* of each clip in NEGATIVE_CLIPS: the
second halves, and vtest.avi and the MOT17 excerpt entirely, stay unseen for the no-weapon clip evaluation.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2

from models.training.splits import SplitReport, load_splits

NEGATIVE_CLIPS = ("bottle-detection.mp4", "one-by-one-person-detection.mp4", "car-detection.mp4")
NEGATIVE_FRACTION = 0.5  # leading share of each clip's duration used for training
NEGATIVE_EVERY_S = 0.5


def extract_negatives(clip: Path, out_dir: Path, fraction: float, every_s: float) -> list[Path]:
    """Frames every ``every_s`` seconds over the first ``fraction`` of ``clip``, saved as JPEG."""
    capture = cv2.VideoCapture(str(clip))
    if not capture.isOpened():
        raise FileNotFoundError(f"{clip}: cannot open video")
    fps = capture.get(cv2.CAP_PROP_FPS) or 10.0
    frames = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    last = int(frames * fraction)
    step = max(1, round(fps * every_s))
    written = []
    out_dir.mkdir(parents=True, exist_ok=True)
    for index in range(0, last, step):
        capture.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, frame = capture.read()
        if not ok:
            break
        path = out_dir / f"{clip.stem}_{index:05d}.jpg"
        cv2.imwrite(str(path), frame, [cv2.IMWRITE_JPEG_QUALITY, 92])
        written.append(path)
    capture.release()
    return written


def prepare(dataset: Path, samples_dir: Path, out: Path) -> dict[str, object]:
    dataset, samples_dir = dataset.resolve(), samples_dir.resolve()
    root = dataset / "Assets" / "dataset"
    splits, report = load_splits(root, dataset / "_provenance")
    negatives: list[str] = []
    for clip in NEGATIVE_CLIPS:
        frames = extract_negatives(samples_dir / clip, out / "negatives", NEGATIVE_FRACTION, NEGATIVE_EVERY_S)
        negatives += [str(p) for p in frames]
    summary: dict[str, object] = {
        "dataset": str(dataset),
        "splits": {
            split: [{"image": str(s.image), "label": str(s.label) if s.label else None} for s in items]
            for split, items in splits.items()
        },
        "negatives": negatives,
        "negative_clips": {"clips": list(NEGATIVE_CLIPS), "first_fraction": NEGATIVE_FRACTION},
        "report": _report(report),
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "splits.json").write_text(json.dumps(summary, indent=1))
    return summary


def _report(report: SplitReport) -> dict[str, dict[str, int]]:
    return {
        "kept": report.kept,
        "excluded_rights": report.excluded_rights,
        "dropped_duplicate_stem": report.dropped_duplicate_stem,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", type=Path, required=True, help="madeelworks-weapon-detection-cctv-v3 folder")
    parser.add_argument("--samples", type=Path, required=True, help="folder holding the sample clips")
    parser.add_argument("--out", type=Path, required=True, help="output folder (outside the repository)")
    args = parser.parse_args(argv)
    summary = prepare(args.dataset, args.samples, args.out)
    print(json.dumps({"report": summary["report"], "negatives": len(summary["negatives"])}, indent=1))  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    sys.exit(main())
