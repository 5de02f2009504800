"""The held-out weapon test images: the dataset's `test` split less the rights-unclear provenance lists.

The training keeps every scene (filename stem) of `test` out of train and valid, so the whole test split,
the `point0*` camera sequences included, is unseen. Labels are YOLO txt: 0 person, 1 weapon.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gatewatch.vision.errors import UserError

PROVENANCE_LISTS = ("ucf_crime_style_frames_x264.txt", "normal_shopping_stock_footage_frames.txt")
PERSON, WEAPON = 0, 1


class DatasetError(UserError):
    """The weapon dataset folder is missing or not laid out as the Roboflow export (the user's to fix)."""


@dataclass(frozen=True, slots=True)
class LabelledImage:
    path: Path
    weapons: np.ndarray  # float32 (N, 4) xyxy in image pixels
    people: int  # number of labelled persons


def _stem(path: str) -> str:
    """``test/images/a_jpg.rf.12.jpg`` -> ``a_jpg``: the source image all augmented copies share."""
    name = Path(path).name
    return name.split(".rf.", 1)[0] if ".rf." in name else Path(name).stem


def _boxes(label: Path, cls: int, width: int, height: int) -> np.ndarray:
    rows = [r.split() for r in label.read_text().splitlines() if r.strip()] if label.is_file() else []
    chosen = [[float(v) for v in r[1:5]] for r in rows if len(r) >= 5 and int(r[0]) == cls]
    if not chosen:
        return np.zeros((0, 4), np.float32)
    c = np.array(chosen, np.float32) * np.array([width, height, width, height], np.float32)
    return np.concatenate([c[:, :2] - c[:, 2:] / 2, c[:, :2] + c[:, 2:] / 2], 1)


def labelled_images(
    dataset: Path, split: str = "test", size: tuple[int, int] = (416, 416), also_exclude: frozenset[str] = frozenset()
) -> list[LabelledImage]:
    """Labelled images of ``split`` (all 416x416 in this dataset), excluded stems and ``also_exclude`` left out."""
    images_dir = dataset / "Assets" / "dataset" / split / "images"
    provenance = dataset / "_provenance"
    if not images_dir.is_dir():
        raise DatasetError(f"{images_dir}: not found; expected the weapon-detection-cctv-v3 export in {dataset}")
    excluded = set(also_exclude)
    for name in PROVENANCE_LISTS:
        path = provenance / name
        if not path.is_file():
            raise DatasetError(f"{path}: exclusion list missing")
        excluded |= {_stem(line) for line in path.read_text().split()}
    width, height = size
    result = []
    for image in sorted(images_dir.glob("*.jpg")):
        if _stem(image.name) in excluded:
            continue
        label = images_dir.parent / "labels" / (image.stem + ".txt")
        people = len(_boxes(label, PERSON, width, height))
        result.append(LabelledImage(image, _boxes(label, WEAPON, width, height), people))
    return result


def stems(images: list[LabelledImage]) -> frozenset[str]:
    return frozenset(_stem(item.path.name) for item in images)
