"""The weapon data's split rules: rights exclusions and one split per scene (filename stem)."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.training.splits import PROVENANCE_LISTS, assign_splits, excluded_stems, load_splits, stem_of


def test_stem_is_the_source_image_name_before_roboflow_hash() -> None:
    assert stem_of("train/images/point01_12_jpg.rf.77349ddbd3.jpg") == "point01_12_jpg"
    assert stem_of("plain.jpg") == "plain"


def test_a_stem_in_several_splits_stays_only_in_the_most_held_out_one() -> None:
    files = {
        "train": ["a_jpg.rf.1.jpg", "a_jpg.rf.2.jpg", "b_jpg.rf.3.jpg", "c_jpg.rf.4.jpg"],
        "valid": ["b_jpg.rf.5.jpg", "d_jpg.rf.6.jpg", "e_jpg.rf.7.jpg"],
        "test": ["c_jpg.rf.8.jpg", "e_jpg.rf.9.jpg"],
    }
    kept, report = assign_splits(files, excluded=set())
    assert kept == {
        "train": ["a_jpg.rf.1.jpg", "a_jpg.rf.2.jpg"],
        "valid": ["b_jpg.rf.5.jpg", "d_jpg.rf.6.jpg"],
        "test": ["c_jpg.rf.8.jpg", "e_jpg.rf.9.jpg"],
    }
    assert report.dropped_duplicate_stem == {"train": 2, "valid": 1, "test": 0}
    stems = [{stem_of(n) for n in names} for names in kept.values()]
    assert not (stems[0] & stems[1]) and not (stems[0] & stems[2]) and not (stems[1] & stems[2])


def test_excluded_stems_leave_every_split_including_other_augmented_copies(tmp_path: Path) -> None:
    (tmp_path / PROVENANCE_LISTS[0]).write_text("train/images/Shoplifting001_x264_6_jpg.rf.aaa.jpg\n")
    (tmp_path / PROVENANCE_LISTS[1]).write_text("test/images/Normal_shopping_3_new_17_jpg.rf.bbb.jpg\n\n")
    excluded = excluded_stems(tmp_path)
    files = {
        "train": ["Shoplifting001_x264_6_jpg.rf.aaa.jpg", "Shoplifting001_x264_6_jpg.rf.ccc.jpg", "x_jpg.rf.1.jpg"],
        "valid": [],
        "test": ["Normal_shopping_3_new_17_jpg.rf.bbb.jpg", "point01_3_jpg.rf.2.jpg"],
    }
    kept, report = assign_splits(files, excluded)
    assert kept == {"train": ["x_jpg.rf.1.jpg"], "valid": [], "test": ["point01_3_jpg.rf.2.jpg"]}
    assert report.excluded_rights == {"train": 2, "valid": 0, "test": 1}


def test_missing_exclusion_list_is_an_error_not_an_empty_exclusion(tmp_path: Path) -> None:
    (tmp_path / PROVENANCE_LISTS[0]).write_text("")
    with pytest.raises(FileNotFoundError, match=PROVENANCE_LISTS[1]):
        excluded_stems(tmp_path)


def test_load_splits_pairs_images_with_labels_on_disk(tmp_path: Path) -> None:
    root, provenance = tmp_path / "dataset", tmp_path / "_provenance"
    provenance.mkdir()
    for name in PROVENANCE_LISTS:
        (provenance / name).write_text("")
    for split, stem in (
        ("train", "a_jpg.rf.1"),
        ("train", "b_jpg.rf.2"),
        ("valid", "b_jpg.rf.3"),
        ("test", "c_jpg.rf.4"),
    ):
        (root / split / "images").mkdir(parents=True, exist_ok=True)
        (root / split / "labels").mkdir(parents=True, exist_ok=True)
        (root / split / "images" / f"{stem}.jpg").write_bytes(b"")
        if stem != "c_jpg.rf.4":  # a background image may have no label file
            (root / split / "labels" / f"{stem}.txt").write_text("1 0.5 0.5 0.1 0.1\n")
    samples, _ = load_splits(root, provenance)
    assert [s.image.name for s in samples["train"]] == ["a_jpg.rf.1.jpg"]
    assert samples["train"][0].label == root / "train" / "labels" / "a_jpg.rf.1.txt"
    assert [s.stem for s in samples["valid"]] == ["b_jpg"]
    assert samples["test"][0].label is None
