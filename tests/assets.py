"""Real test images (bus.jpg, zidane.jpg) from the Ultralytics wheel, which ships them in ultralytics/assets."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import cv2
import numpy as np

IMAGES = ("bus.jpg", "zidane.jpg")
WHEEL = "ultralytics==8.4.190"
REPO = Path(__file__).resolve().parents[1]  # the checkout the tests run from
CACHE_DIR = REPO / ".cache" / "assets"  # gitignored


def image_assets_dir() -> Path:
    """A directory holding bus.jpg and zidane.jpg: the installed ultralytics package's, else a cache."""
    spec = importlib.util.find_spec("ultralytics")  # finds without importing (importing pulls in torch)
    if spec is not None and spec.origin is not None:
        installed = Path(spec.origin).parent / "assets"
        if all((installed / image).is_file() for image in IMAGES):
            return installed
    if not all((CACHE_DIR / image).is_file() for image in IMAGES):
        _fetch_into(CACHE_DIR)
    return CACHE_DIR


def load_image(name: str) -> np.ndarray:
    """bus.jpg or zidane.jpg as a BGR array."""
    path = image_assets_dir() / name
    image = cv2.imread(str(path))
    if image is None:
        raise FileNotFoundError(f"cannot read {path}")
    return image


def _fetch_into(target: Path) -> None:
    """Download the wheel (no dependencies) and extract only the two images."""
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", WHEEL, "-d", tmp],
            check=True,
            timeout=300,
        )
        (wheel,) = Path(tmp).glob("ultralytics-*.whl")
        with zipfile.ZipFile(wheel) as archive:
            for image in IMAGES:
                part = target / f".{image}.{os.getpid()}.part"  # rename: concurrent runs never see half a file
                part.write_bytes(archive.read(f"ultralytics/assets/{image}"))
                part.replace(target / image)


# One held-out test image of the weapon dataset (weapon detection cctv v3, Roboflow Universe, CC BY 4.0),
# read from the shared dataset folder, else fetched from the public GitHub copy it came from (sha256-pinned).
WEAPON_DATASET = "madeelworks-weapon-detection-cctv-v3"
WEAPON_DATASET_COMMIT = "1379b38b4028a580c4c7efa9bf816e04868f2eb8"
# An indoor CCTV frame (not trained on: the whole test split is held out) of a man raising a knife, 16x33 px.
WEAPON_TEST_IMAGE = "frame4556_jpg.rf.00652123f64f16067ddb4b83a8658106.jpg"
WEAPON_TEST_IMAGE_SHA256 = "613b4c14485254e8337fb5737a194b243e1892ba4fe08ccead826a5f0e011c44"
WEAPON_TEST_BOX = (152.5, 226.5, 168.5, 259.5)  # its label "1 0.3858 0.5841 0.0385 0.0793" in pixels (416x416)


def weapon_dataset_dir() -> Path:
    configured = os.environ.get("GATEWATCH_WEAPON_DATASET")
    if configured:
        return Path(configured)
    return REPO.parent / "shared" / "datasets" / "weapons" / WEAPON_DATASET  # beside the checkout, as ../shared


def weapon_test_image() -> Path:
    from gatewatch.assets.downloads import fetch_checked

    local = weapon_dataset_dir() / "Assets" / "dataset" / "test" / "images" / WEAPON_TEST_IMAGE
    if local.is_file():
        return local
    cached = CACHE_DIR / WEAPON_TEST_IMAGE
    if cached.is_file():  # checked against the sha256 when it was fetched
        return cached
    url = (
        f"https://raw.githubusercontent.com/madeelworks/Weapon-Detection/{WEAPON_DATASET_COMMIT}/"
        f"Assets/dataset/test/images/{WEAPON_TEST_IMAGE}"
    )
    return fetch_checked(url, WEAPON_TEST_IMAGE_SHA256, cached)
