"""Which dataset images may be used where: rights exclusions and stem de-duplication across splits.

Roboflow names an export ``<stem>_<ext>.rf.<hash>.jpg``; augmented copies of one source image share the
stem, and the same stem occurs in several splits. A stem is one scene: it lives in exactly one split, the
most held-out one it appears in (test, then valid, then train), so no scene is both trained and evaluated.
Standard library only: the tests of these rules run in the product's environment, without torch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

SPLITS = ("train", "valid", "test")  # least to most held out
PROVENANCE_LISTS = ("ucf_crime_style_frames_x264.txt", "normal_shopping_stock_footage_frames.txt")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


@dataclass(frozen=True, slots=True)
class Sample:
    image: Path
    label: Path | None  # YOLO txt (class cx cy w h, normalised); None for a background-only frame
    stem: str
    split: str


@dataclass(slots=True)
class SplitReport:
    kept: dict[str, int] = field(default_factory=dict)
    excluded_rights: dict[str, int] = field(default_factory=dict)
    dropped_duplicate_stem: dict[str, int] = field(default_factory=dict)


def stem_of(file_name: str) -> str:
    """The source image a Roboflow export file came from: ``a_jpg.rf.123.jpg`` -> ``a_jpg``."""
    name = Path(file_name).name
    return name.split(".rf.", 1)[0] if ".rf." in name else Path(name).stem


def excluded_stems(provenance_dir: Path) -> set[str]:
    """Stems of the images whose rights are unclear; every copy of such a stem is left out."""
    stems: set[str] = set()
    for list_name in PROVENANCE_LISTS:
        path = provenance_dir / list_name
        if not path.is_file():
            raise FileNotFoundError(f"{path}: exclusion list missing; refusing to build splits without it")
        for line in path.read_text().splitlines():
            if line.strip():
                stems.add(stem_of(line.strip()))
    return stems


def _images(split_dir: Path) -> list[Path]:
    images_dir = split_dir / "images"
    if not images_dir.is_dir():
        raise FileNotFoundError(f"{images_dir}: expected a YOLO split folder with images/ and labels/")
    return sorted(p for p in images_dir.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def assign_splits(files: Mapping[str, Sequence[str]], excluded: set[str]) -> tuple[dict[str, list[str]], SplitReport]:
    """File names per split -> the names each split keeps, and what was left out and why."""
    home: dict[str, str] = {}
    for split in SPLITS:  # later (more held-out) splits overwrite earlier ones
        for name in files.get(split, ()):
            home[stem_of(name)] = split
    kept: dict[str, list[str]] = {}
    report = SplitReport()
    for split in SPLITS:
        names = list(files.get(split, ()))
        rights = [n for n in names if stem_of(n) in excluded]
        duplicate = [n for n in names if stem_of(n) not in excluded and home[stem_of(n)] != split]
        kept[split] = [n for n in names if stem_of(n) not in excluded and home[stem_of(n)] == split]
        report.kept[split] = len(kept[split])
        report.excluded_rights[split] = len(rights)
        report.dropped_duplicate_stem[split] = len(duplicate)
    return kept, report


def load_splits(dataset_root: Path, provenance_dir: Path) -> tuple[dict[str, list[Sample]], SplitReport]:
    """The usable samples of a Roboflow YOLO export at ``dataset_root`` ({train,valid,test}/{images,labels})."""
    by_name = {split: {p.name: p for p in _images(dataset_root / split)} for split in SPLITS}
    kept, report = assign_splits({s: list(names) for s, names in by_name.items()}, excluded_stems(provenance_dir))
    samples: dict[str, list[Sample]] = {}
    for split, names in kept.items():
        samples[split] = []
        for name in names:
            image = by_name[split][name]
            label = dataset_root / split / "labels" / (image.stem + ".txt")
            samples[split].append(Sample(image, label if label.is_file() else None, stem_of(name), split))
    return samples, report
