"""Real still images for detector checks (bus.jpg, zidane.jpg), from the Ultralytics wheel that ships them.

Used by the detector latency bench and the tests. The installed ultralytics package's copies are used
when present (the ``peer`` extra); otherwise the wheel is downloaded once, without dependencies, and
only the two images are kept in ``cache_dir``. The wheel is pinned, so the images never change.
"""

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

from gatewatch.vision.errors import UserError

IMAGES = ("bus.jpg", "zidane.jpg")
WHEEL = "ultralytics==8.4.190"


def image_assets_dir(cache_dir: Path) -> Path:
    """A directory holding bus.jpg and zidane.jpg: the installed ultralytics package's, else ``cache_dir``."""
    spec = importlib.util.find_spec("ultralytics")  # finds without importing (importing pulls in torch)
    if spec is not None and spec.origin is not None:
        installed = Path(spec.origin).parent / "assets"
        if all((installed / image).is_file() for image in IMAGES):
            return installed
    if not all((cache_dir / image).is_file() for image in IMAGES):
        _fetch_into(cache_dir)
    return cache_dir


def load_image(name: str, cache_dir: Path) -> np.ndarray:
    """bus.jpg or zidane.jpg as a BGR array."""
    if name not in IMAGES:
        raise UserError(f"{name}: not one of the bundled test images {', '.join(IMAGES)}")
    path = image_assets_dir(cache_dir) / name
    image = cv2.imread(str(path))
    if image is None:
        raise UserError(f"cannot read {path}: delete it to fetch it again")
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
