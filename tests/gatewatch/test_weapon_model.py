"""The committed weapon model: manifest entry, lookup in models/weights, and a weapon found on real data."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from gatewatch.assets.models import BUNDLED_WEIGHTS_DIR, load_detector, load_manifest, resolve_model, verify_models
from gatewatch.cli import main
from gatewatch.config.settings import Settings
from gatewatch.evaluate.weapons.metrics import iou_matrix
from gatewatch.vision.analytics_config import DetectorConfig
from gatewatch.vision.detector import Detector
from tests.assets import WEAPON_TEST_BOX, weapon_test_image

MODEL = "yolox_nano_weapon"
DATA_URL = "https://universe.roboflow.com/weapon-detection-cctv/weapon-detection-cctv-v3-dataset"
SHIPPED_THRESHOLD = 0.5  # the weapon rule's min_confidence in sample_videos/demo.yaml


def test_manifest_lists_coco_plus_weapon_with_licence_and_data_attribution(settings: Settings) -> None:
    manifest = load_manifest(settings.manifest)
    entry, coco = manifest.entry(MODEL), manifest.entry("yolox_nano")
    assert isinstance(coco.classes, list)
    assert entry.classes == [*coco.classes, "weapon"]
    assert (entry.format, entry.input_size, entry.licence) == ("yolox", (416, 416), "Apache-2.0")
    assert "CC BY 4.0" in entry.data_attribution
    assert DATA_URL in entry.data_attribution


def test_committed_file_is_found_in_models_weights_and_verified(tmp_path: Path) -> None:
    # Empty models and weights dirs (as in the container, whose downloads go to /data/weights):
    # the copy committed in the repository's models/weights is the one found.
    models_dir, weights_dir = tmp_path / "models", tmp_path / "weights"
    resolved = resolve_model(MODEL, models_dir, weights_dir, download=False)
    assert resolved.path == BUNDLED_WEIGHTS_DIR / "yolox_nano_weapon.onnx"
    assert resolved.path.stat().st_size <= 10 * 1024 * 1024
    statuses = {s.name: s for s in verify_models(models_dir, weights_dir)}
    assert statuses[MODEL].ok and statuses[MODEL].message == "sha256 ok"


@pytest.fixture(scope="module")
def weapon_detector(settings: Settings) -> Detector:
    config = DetectorConfig(model=MODEL, confidence=0.3)
    return load_detector(config, settings.models_dir, settings.weights_dir, load_manifest(settings.manifest))


def test_detects_the_labelled_weapon_on_a_held_out_test_image(weapon_detector: Detector) -> None:
    image = cv2.imread(str(weapon_test_image()), cv2.IMREAD_COLOR)
    assert image is not None
    found = weapon_detector.detect(image)
    weapons = found[(found.class_id == weapon_detector.class_names.index("weapon"))]
    weapons = weapons[weapons.confidence >= SHIPPED_THRESHOLD]
    assert len(weapons) >= 1, f"no weapon >= {SHIPPED_THRESHOLD}: {found.confidence}, {found.class_id}"
    best = iou_matrix(weapons.xyxy, np.array([WEAPON_TEST_BOX], np.float32)).max()
    assert best >= 0.5, f"weapon boxes {weapons.xyxy} miss the labelled box {WEAPON_TEST_BOX} (IoU {best:.2f})"


def test_analyzing_a_still_image_says_a_k_of_n_rule_cannot_confirm(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image = weapon_test_image()
    config = tmp_path / "still.yaml"
    config.write_text(
        f"detector: {{model: {MODEL}}}\n"
        f"cameras:\n  - id: desk\n    source: {image.name}\n    zones:\n"
        "      - id: all\n        polygon: [[0, 0], [1, 0], [1, 1], [0, 1]]\n"
        "        weapon: {classes: [weapon], confirm_k: 3, confirm_n: 5}\n"
    )
    out = tmp_path / "out"
    assert main(["analyze", str(image), "--config", str(config), "--out", str(out), "--no-video"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["events_by_type"]["weapon"] == 0 and summary["frames_detected"] == 1
    (note,) = summary["notes"]
    assert "3 of 5 detection frames" in note and "a still image cannot confirm" in note
    assert "gatewatch: note:" in capsys.readouterr().err
