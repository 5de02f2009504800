"""The evaluation's view of the weapon dataset: rights-unclear images out, labels read as pixel boxes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gatewatch.evaluate.weapons.weapon_data import PROVENANCE_LISTS, DatasetError, labelled_images, stems


def _dataset(root: Path, files: dict[str, str | None]) -> Path:
    images, labels = root / "Assets" / "dataset" / "test" / "images", root / "Assets" / "dataset" / "test" / "labels"
    images.mkdir(parents=True)
    labels.mkdir(parents=True)
    for name, label in files.items():
        (images / name).write_bytes(b"")
        if label is not None:
            (labels / (Path(name).stem + ".txt")).write_text(label)
    (root / "_provenance").mkdir()
    (root / "_provenance" / PROVENANCE_LISTS[0]).write_text("test/images/Shoplifting001_x264_6_jpg.rf.aa.jpg\n")
    (root / "_provenance" / PROVENANCE_LISTS[1]).write_text("")
    return root


def test_excluded_images_are_left_out_by_stem_whatever_their_folder_prefix(tmp_path: Path) -> None:
    root = _dataset(
        tmp_path,
        {
            "Shoplifting001_x264_6_jpg.rf.bb.jpg": "1 0.5 0.5 0.1 0.1\n",  # another copy of an excluded image
            "point01_3_png.rf.cc.jpg": "0 0.5 0.5 0.2 0.6\n0 0.2 0.5 0.2 0.6\n",
            "knife_1_jpg.rf.dd.jpg": "1 0.5 0.25 0.5 0.25\n0 0.5 0.5 0.2 0.6\n",
            "empty_jpg.rf.ee.jpg": None,
        },
    )
    found = {item.path.name: item for item in labelled_images(root)}
    assert sorted(found) == ["empty_jpg.rf.ee.jpg", "knife_1_jpg.rf.dd.jpg", "point01_3_png.rf.cc.jpg"]
    knife = found["knife_1_jpg.rf.dd.jpg"]
    np.testing.assert_allclose(knife.weapons, [[104.0, 52.0, 312.0, 156.0]])  # 416 px: cx .5, cy .25, w .5, h .25
    assert knife.people == 1 and found["point01_3_png.rf.cc.jpg"].people == 2
    assert len(found["empty_jpg.rf.ee.jpg"].weapons) == 0
    assert stems(list(found.values())) == {"empty_jpg", "knife_1_jpg", "point01_3_png"}
    assert [i.path.name for i in labelled_images(root, also_exclude=frozenset({"knife_1_jpg"}))] == [
        "empty_jpg.rf.ee.jpg", "point01_3_png.rf.cc.jpg"
    ]  # fmt: skip


def test_missing_dataset_names_the_folder(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="not found; expected the weapon-detection-cctv-v3 export"):
        labelled_images(tmp_path)
