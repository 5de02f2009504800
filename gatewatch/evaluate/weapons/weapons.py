"""`gatewatch eval weapons`: the weapon model's accuracy, false alarms, clip events and cost, in one report.

Only runtime dependencies (onnxruntime, numpy, OpenCV): any installation can re-run it on the data.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gatewatch.assets.models import load_detector, load_manifest
from gatewatch.config.settings import Settings
from gatewatch.evaluate.weapons import clips, images
from gatewatch.evaluate.weapons.contact_sheet import write_sheet
from gatewatch.evaluate.weapons.report import markdown
from gatewatch.evaluate.weapons.weapon_data import labelled_images, stems
from gatewatch.vision.analytics_config import DetectorConfig
from gatewatch.vision.detector import Detector

THRESHOLD_CANDIDATES = tuple(round(0.05 * i, 2) for i in range(2, 19))
Progress = Callable[[str], None]


@dataclass(frozen=True)
class WeaponEvalRequest:
    model: str  # manifest name of the weapon model
    baseline: str  # manifest name of the model whose COCO classes stand in for weapons today
    baseline_classes: tuple[str, ...]
    dataset: Path
    threshold: float  # the shipped weapon min_confidence
    out_dir: Path
    clip_events: bool = True


def _detector(settings: Settings, model: str, confidence: float, threads: int = 2) -> Detector:
    config = DetectorConfig(model=model, confidence=confidence, threads=threads)
    return load_detector(config, settings.models_dir, settings.weights_dir, load_manifest(settings.manifest))


def run(request: WeaponEvalRequest, settings: Settings, progress: Progress) -> dict[str, Any]:
    test = labelled_images(request.dataset)  # first: a wrong --dataset fails before any model loads
    model, baseline = _detector(settings, request.model, 0.01), _detector(settings, request.baseline, 0.01)
    weapon_ids = [model.class_names.index("weapon")]
    baseline_ids = [baseline.class_names.index(name) for name in request.baseline_classes]
    found_model = images.detect_images(model, test, progress)
    found_base = images.detect_images(baseline, test, progress)
    valid = labelled_images(request.dataset, split="valid", also_exclude=stems(test))  # scenes also in test: out
    valid_tally = images.tally(valid, images.detect_images(model, valid, progress), weapon_ids)
    report: dict[str, Any] = {
        "model": request.model,
        "baseline": {"model": request.baseline, "classes": list(request.baseline_classes)},
        "test_images": len(test),
        "test_weapon_boxes": int(sum(len(i.weapons) for i in test)),
        "weapon": images.accuracy(images.tally(test, found_model, weapon_ids), request.threshold),
        "baseline_weapon": images.accuracy(images.tally(test, found_base, baseline_ids), request.threshold),
        "false_alarms": images.false_alarms(test, found_model, weapon_ids, request.threshold),
        "baseline_false_alarms": images.false_alarms(test, found_base, baseline_ids, request.threshold),
        "valid_best_f1": images.best_f1_threshold(valid_tally, THRESHOLD_CANDIDATES),
        "contact_sheet": write_sheet(
            request.out_dir / "failures.jpg", test, found_model, weapon_ids[0], request.threshold
        ),
    }
    report |= _clip_figures(request, settings, model, baseline, progress)
    return report


def _clip_figures(
    request: WeaponEvalRequest, settings: Settings, model: Detector, baseline: Detector, progress: Progress
) -> dict[str, Any]:
    frames = [f for name in clips.NO_WEAPON_CLIPS for f in clips.clip_frames(settings.samples_dir / name, 1.0)]
    progress(f"person recall and cost on {len(frames)} sample-clip frames")
    result: dict[str, Any] = {
        "person_recall": [clips.person_recall(model, baseline, frames, at) for at in (0.5, 0.3)],
        "cost": {},
    }
    cost_frames = frames[:60]
    for name in (request.baseline, request.model):
        for threads in (1, 2):
            detector = _detector(settings, name, 0.3, threads)
            result["cost"][f"{name} threads={threads}"] = clips.detector_cost(detector, cost_frames)
    if request.clip_events:
        result["clip_events"] = clips.weapon_events(
            request.model, settings.samples_dir, request.threshold, request.out_dir / "clips", settings, progress
        )
    return result


def write_outputs(report: dict[str, Any], out_dir: Path, markdown_path: Path | None, json_path: Path | None) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    text = markdown(report)
    (out_dir / "weapon_eval.json").write_text(json.dumps(report, indent=1) + "\n")
    (out_dir / "weapon_eval.md").write_text(text)
    if markdown_path:
        markdown_path.write_text(text)
    if json_path:
        json_path.write_text(json.dumps(report, indent=1) + "\n")


def stderr_progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
