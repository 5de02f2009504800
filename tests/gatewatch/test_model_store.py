"""Model manifest, sha256-checked resolution, download and detector loading."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from gatewatch.assets.models import (
    BUNDLED_WEIGHTS_DIR,
    ModelStoreError,
    load_detector,
    load_manifest,
    resolve_model,
    verify_models,
)
from gatewatch.vision.analytics_config import DetectorConfig
from gatewatch.vision.detector import ModelError
from tests.assets import load_image

MODELS_DIR = Path(os.environ.get("GATEWATCH_MODELS_DIR") or Path(__file__).resolve().parents[3] / "shared" / "models")
YOLOX_SHA = "e8af074932d4ed7e232278e3055cefcdea3edf178874a3694ae292649fb464dd"
YOLOV8_SHA = "83de8f0d2cd521e00ae2b138c340a03dece35b060b3898509bdc69afff417312"


@pytest.fixture
def empty_dirs(tmp_path: Path) -> tuple[Path, Path]:
    models_dir, weights_dir = tmp_path / "models", tmp_path / "weights"
    models_dir.mkdir()
    weights_dir.mkdir()
    return models_dir, weights_dir


def manifest_with_url(tmp_path: Path, url: str, extra: str = "") -> Path:
    path = tmp_path / "manifest.toml"
    path.write_text(
        f"""default = "nano"
[models.nano]
file = "yolox_nano.onnx"
sha256 = "{YOLOX_SHA}"
url = "{url}"
licence = "Apache-2.0"
format = "yolox"
input_size = [416, 416]
classes = ["person"]
{extra}
"""
    )
    return path


@pytest.mark.unit
def test_shipped_manifest_describes_both_models() -> None:
    manifest = load_manifest()
    assert manifest.default == "yolox_nano"
    yolox, yolov8 = manifest.models["yolox_nano"], manifest.models["yolov8n_int8"]
    assert (yolox.sha256, yolov8.sha256) == (YOLOX_SHA, YOLOV8_SHA)
    assert len(yolox.classes) == 80 and yolox.classes[0] == "person" and yolox.classes[43] == "knife"
    assert yolox.url.startswith("https://") and yolox.input_size == (416, 416)
    assert yolov8.classes == "metadata" and yolov8.class_names is None and yolov8.url == ""
    assert "gatewatch[peer]" in yolov8.how_to_get and "quantize_dynamic" in yolov8.how_to_get


def test_resolves_models_dir_first_then_weights_dir(empty_dirs: tuple[Path, Path]) -> None:
    models_dir, weights_dir = empty_dirs
    assert resolve_model("yolox_nano", MODELS_DIR, weights_dir).path == MODELS_DIR / "yolox_nano.onnx"
    shutil.copyfile(MODELS_DIR / "yolox_nano.onnx", weights_dir / "yolox_nano.onnx")
    resolved = resolve_model("yolox_nano", models_dir, weights_dir)
    assert resolved.path == weights_dir / "yolox_nano.onnx" and resolved.entry.format == "yolox"


@pytest.mark.unit
def test_unknown_model_lists_known_ones() -> None:
    known = "yolov8n_int8, yolox_nano, yolox_nano_weapon"
    with pytest.raises(ModelStoreError, match=rf"unknown model 'yolov99'; known models: {known}"):
        resolve_model("yolov99", MODELS_DIR)


def test_missing_file_names_expected_hash_and_how_to_get_it(empty_dirs: tuple[Path, Path]) -> None:
    with pytest.raises(ModelError) as info:  # ModelStoreError is a ModelError: one type to catch at startup
        resolve_model("yolov8n_int8", *empty_dirs)
    message = str(info.value)
    assert "yolov8n_int8.onnx" in message and YOLOV8_SHA in message and "quantize_dynamic" in message


def test_changed_byte_is_a_checksum_error(empty_dirs: tuple[Path, Path]) -> None:
    models_dir, weights_dir = empty_dirs
    shutil.copyfile(MODELS_DIR / "yolox_nano.onnx", weights_dir / "yolox_nano.onnx")  # a good copy behind it
    data = bytearray((MODELS_DIR / "yolox_nano.onnx").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (models_dir / "yolox_nano.onnx").write_bytes(data)
    found = hashlib.sha256(data).hexdigest()
    with pytest.raises(
        ModelStoreError, match=rf"{models_dir}/yolox_nano.onnx has sha256 {found}, expected {YOLOX_SHA}"
    ):
        resolve_model("yolox_nano", models_dir, weights_dir)


def test_download_is_verified_then_renamed(tmp_path: Path, empty_dirs: tuple[Path, Path]) -> None:
    models_dir, weights_dir = empty_dirs
    source = tmp_path / "served.onnx"
    shutil.copyfile(MODELS_DIR / "yolox_nano.onnx", source)
    manifest = load_manifest(manifest_with_url(tmp_path, source.as_uri()))
    resolved = resolve_model("nano", models_dir, weights_dir / "new", manifest)
    assert resolved.path == weights_dir / "new" / "yolox_nano.onnx"
    assert hashlib.sha256(resolved.path.read_bytes()).hexdigest() == YOLOX_SHA
    assert [p.name for p in (weights_dir / "new").iterdir()] == ["yolox_nano.onnx"]  # no .part left


@pytest.mark.parametrize(
    ("served", "error"), [(b"not the model", "expected " + YOLOX_SHA), (None, "could not download")]
)
def test_failed_download_leaves_nothing(
    tmp_path: Path, empty_dirs: tuple[Path, Path], served: bytes | None, error: str
) -> None:
    models_dir, weights_dir = empty_dirs
    source = tmp_path / "served.onnx"
    if served is not None:
        source.write_bytes(served)
    manifest = load_manifest(manifest_with_url(tmp_path, source.as_uri()))
    with pytest.raises(ModelStoreError, match=error):
        resolve_model("nano", models_dir, weights_dir, manifest)
    assert list(weights_dir.iterdir()) == []


@pytest.mark.unit
@pytest.mark.parametrize(
    ("extra", "error"),
    [('licence_url = "x"', "licence_url"), ('how_to_get = "ask"\ndescription = 3', "description")],
)
def test_manifest_rejects_unknown_or_invalid_keys(tmp_path: Path, extra: str, error: str) -> None:
    with pytest.raises(ModelStoreError, match=error):
        load_manifest(manifest_with_url(tmp_path, "", extra))


@pytest.mark.unit
def test_yolox_entry_needs_class_list(tmp_path: Path) -> None:
    path = manifest_with_url(tmp_path, "https://example.org/m.onnx")
    path.write_text(path.read_text().replace('classes = ["person"]', 'classes = "metadata"'))
    with pytest.raises(ModelStoreError, match="yolox files carry no class names"):
        load_manifest(path)


def test_verify_models_reports_each_model_without_downloading(empty_dirs: tuple[Path, Path]) -> None:
    statuses = verify_models(MODELS_DIR, empty_dirs[1])
    assert [(s.name, s.ok, s.path) for s in statuses] == [
        ("yolox_nano", True, MODELS_DIR / "yolox_nano.onnx"),
        ("yolov8n_int8", True, MODELS_DIR / "yolov8n_int8.onnx"),
        ("yolox_nano_weapon", True, BUNDLED_WEIGHTS_DIR / "yolox_nano_weapon.onnx"),  # committed in the repo
    ]
    missing = verify_models(*empty_dirs)
    assert [s.ok for s in missing] == [False, False, True] and YOLOX_SHA in missing[0].message
    assert list(empty_dirs[1].iterdir()) == []


@pytest.mark.parametrize(("model", "input_size"), [("yolox_nano", (416, 416)), ("yolov8n_int8", (640, 640))])
def test_load_detector_wires_manifest_and_config(tmp_path: Path, model: str, input_size: tuple[int, int]) -> None:
    config = DetectorConfig(model=model, confidence=0.5, threads=1)
    detector = load_detector(config, MODELS_DIR, tmp_path)
    assert (detector.name, detector.input_size) == (model, input_size)
    assert detector.class_names == tuple(load_manifest().models["yolox_nano"].classes)
    found = detector.detect(load_image("bus.jpg"))
    assert (found.confidence >= 0.5).all()
    assert np.count_nonzero(found.class_id == 0) == 3  # the fourth, half-visible person scores below 0.5
