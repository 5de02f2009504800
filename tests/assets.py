"""Test assets: the still images (gatewatch.assets.images), a held-out weapon image, the checkout's root."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from gatewatch.assets import images

REPO = Path(__file__).resolve().parents[1]  # the checkout the tests run from
CACHE_DIR = REPO / ".cache" / "assets"  # gitignored


def load_image(name: str) -> np.ndarray:
    """bus.jpg or zidane.jpg as a BGR array (see gatewatch.assets.images)."""
    return images.load_image(name, CACHE_DIR)


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
