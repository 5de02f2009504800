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
