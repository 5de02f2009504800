"""``gatewatch eval counts``: counting recall/precision by crowd density per counting mode, and continuity.

The confidence threshold of each mode is tuned on one sequence (highest recall at precision >= 0.9
under MOT's counting rule) and reported on all; the report marks the tuning sequence.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence as Seq
from pathlib import Path
from typing import Any

import numpy as np

from gatewatch.evaluate.counts import (
    RULES,
    Mode,
    ModeRun,
    by_density,
    continuity,
    cost,
    frame_scores,
    interleaved_cost,
    read_image,
    run_mode,
    summarise,
)
from gatewatch.evaluate.labelled import Sequence, load_sequence
from gatewatch.evaluate.report import markdown
from gatewatch.vision.analytics_config import DetectorConfig, TrackerConfig
from gatewatch.vision.detector import Detector
from gatewatch.vision.errors import UserError
from gatewatch.vision.tiling import TileGrid

MODES = {
    "frame": Mode("frame", None),
    "tiles-2x1": Mode("tiles-2x1", TileGrid(2, 1, 0.15)),
    "tiles-3x2": Mode("tiles-3x2", TileGrid(3, 2, 0.15)),
}
COST_FRAMES, COST_ROUNDS = 10, 3  # frames per sequence timed, turns each mode takes on each
THRESHOLDS = [round(0.05 * i, 2) for i in range(2, 15)]  # 0.10 .. 0.70
MIN_PRECISION = 0.9


def add_parser(sub: Any) -> None:  # argparse's _SubParsersAction is private
    """``gatewatch eval counts`` and ``gatewatch eval weapons``."""
    evaluate_parser = sub.add_parser("eval", help="measure accuracy on labelled data")
    eval_sub = evaluate_parser.add_subparsers(dest="eval_command", required=True)
    counts = eval_sub.add_parser(
        "counts", help="person counting recall/precision by crowd density per counting mode", description=__doc__
    )
    _add_arguments(counts)
    counts.set_defaults(func=run_counts)
    from gatewatch.evaluate.weapons.cli import add_weapons_parser

    add_weapons_parser(eval_sub)  # gatewatch eval weapons


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("data", type=Path, help="folder of labelled sequences (each with images/ and boxes.csv)")
    parser.add_argument("--sequences", nargs="+", help="sequence folder names (default: every one under data)")
    parser.add_argument("--tune-on", required=True, help="sequence whose frames choose each mode's threshold")
    parser.add_argument("--modes", nargs="+", choices=sorted(MODES), default=["frame", "tiles-2x1"])
    parser.add_argument("--every", type=_positive_int, default=1, help="use every n-th labelled frame (default 1)")
    parser.add_argument("--model", default="yolox_nano", help="model name from models/manifest.toml")
    parser.add_argument("--threads", type=_positive_int, default=1, help="ONNX Runtime threads (cost is per core)")
    parser.add_argument("--detection-fps", type=float, default=5.0, help="per camera, for streams per 2 cores")
    parser.add_argument("--json", type=Path, help="write the full results here")
    parser.add_argument("--markdown", type=Path, help="write the report here")


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text}")
    return value


def best_threshold(run: ModeRun) -> tuple[float, dict[str, object]]:
    """The threshold with the highest pooled recall at pooled precision >= MIN_PRECISION (MOT rule)."""
    best: tuple[float, dict[str, object]] | None = None
    for threshold in THRESHOLDS:
        summary = summarise(list(frame_scores(run, "mot", threshold)))
        ok = (summary["precision_pooled"] or 0.0) >= MIN_PRECISION  # type: ignore[operator]
        if ok and (best is None or summary["recall_pooled"] > best[1]["recall_pooled"]):  # type: ignore[operator]
            best = (threshold, summary)
    return best or (
        THRESHOLDS[-1],
        summarise(list(frame_scores(run, "mot", THRESHOLDS[-1]))),
    )


def evaluate(args: argparse.Namespace) -> dict[str, Any]:
    from gatewatch.assets.models import load_detector
    from gatewatch.config.settings import get_settings

    args.modes = ["frame", *(m for m in args.modes if m != "frame")]  # the plain baseline is always beside
    names = args.sequences or sorted(p.name for p in args.data.iterdir() if (p / "boxes.csv").is_file())
    if args.tune_on not in names:
        raise UserError(f"--tune-on {args.tune_on!r} is not among the sequences {names}")
    sequences = {name: load_sequence(args.data / name) for name in names}
    sequences = {n: Sequence(s.name, s.fps, s.frames[:: args.every]) for n, s in sequences.items()}
    # Boxes down to 0.1 are kept so every threshold can be scored from one run (greedy NMS keeps a box
    # only by the boxes scoring above it, so a later cut equals running at that threshold).
    config = DetectorConfig(model=args.model, confidence=min(THRESHOLDS), threads=args.threads)
    detector = load_detector(config, get_settings().models_dir)
    # Continuity with today's tracker and with the revival of people who stood still switched off.
    trackers = {"default": TrackerConfig(), "no_still_revival": TrackerConfig(still_lost_s=0.0, revive_iou=0.95)}
    results: dict[str, Any] = {
        "model": args.model,
        "tuned_on": args.tune_on,
        "every": args.every,
        "modes": {},
    }
    for mode_name in args.modes:
        mode = MODES[mode_name]
        runs = {n: run_mode(detector, mode, s, _progress) for n, s in sequences.items()}
        threshold, tuned = best_threshold(runs[args.tune_on])
        per_sequence = {}
        for name, run in runs.items():
            per_sequence[name] = {
                "tuning": name == args.tune_on,
                "frames": [f.number for f in run.frames],
                "continuity": {name: continuity(run, cfg, threshold) for name, cfg in trackers.items()},
                **{rule: _rule_report(run, rule, threshold) for rule in RULES},
            }
        results["modes"][mode_name] = {
            "grid": None if mode.grid is None else [mode.grid.cols, mode.grid.rows, mode.grid.overlap],
            "confidence": threshold,
            "tuning_summary": tuned,
            "sequences": per_sequence,
        }
    _add_costs(results, detector, sequences, args)
    return results


def _add_costs(results: dict[str, Any], detector: Detector, sequences: dict[str, Sequence], args: Any) -> None:
    """Cost of each mode per sequence, measured with the modes taking turns on the same frames."""
    modes = [MODES[name] for name in args.modes]  # "frame" first: the baseline
    for name, sequence in sequences.items():
        frames = sequence.frames[:: max(1, len(sequence.frames) // COST_FRAMES)][:COST_FRAMES]
        images = [read_image(frame.image) for frame in frames]
        times = interleaved_cost(detector, modes, images, COST_ROUNDS)
        base = float(np.median(times[modes[0].name]))
        for mode in modes:
            entry = cost(mode, times[mode.name], args.detection_fps)
            entry["vs_frame"] = round(float(np.median(times[mode.name])) / base, 2)
            results["modes"][mode.name]["sequences"][name]["cost"] = entry
        _progress(f"{name}: cost measured on {len(images)} frames x {COST_ROUNDS} rounds")


def _rule_report(run: ModeRun, rule: str, threshold: float) -> dict[str, object]:
    scores = list(frame_scores(run, rule, threshold))
    return {
        "all": summarise(scores),
        "by_density": by_density(scores),
        "per_frame": [[s.truth, s.found, s.matched] for s in scores],
    }


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_counts(args: argparse.Namespace) -> int:
    """Evaluate, print the Markdown report, write JSON/Markdown where asked; UserError for bad input."""
    results = evaluate(args)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    report = markdown(results)
    print(report)
    if args.markdown:
        args.markdown.write_text(report)
    return 0


def main(argv: Seq[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gatewatch.evaluate.cli", description=__doc__)
    _add_arguments(parser)
    try:
        return run_counts(parser.parse_args(argv))
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
