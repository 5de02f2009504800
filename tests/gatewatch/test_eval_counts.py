"""`gatewatch eval counts`: scoring against ground truth, continuity counts, and bad labelled input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gatewatch.cli import main
from gatewatch.evaluate.labelled import load_sequence
from gatewatch.evaluate.scoring import Continuity, score_frame
from gatewatch.vision.errors import UserError

TRUTH = np.array([[0, 0, 10, 20], [100, 0, 110, 20], [200, 0, 210, 20]], np.float32)


def test_score_frame_matches_one_to_one_and_ignores_detections_on_dont_care_boxes() -> None:
    detections = np.array(
        [
            [0, 0, 10, 20],  # person 0
            [1, 0, 11, 20],  # a second box on person 0: a false positive
            [101, 1, 111, 21],  # person 1
            [300, 0, 310, 20],  # on a standing (don't-care) person: ignored
            [500, 0, 510, 20],  # nothing there: a false positive
        ],
        np.float32,
    )
    score = score_frame(detections, TRUTH, dont_care=np.array([[300, 0, 310, 20]], np.float32))
    assert (score.truth, score.found, score.matched) == (3, 4, 2)
    assert score.recall == pytest.approx(2 / 3) and score.precision == pytest.approx(0.5)
    assert score.count_error == 1


def test_continuity_counts_id_switches_and_fragmentations() -> None:
    tally = Continuity()
    ids = np.array([7])
    box = TRUTH[:1]
    for track in (1, 1, None, 1, 2, 2):  # lost once (fragmentation), then switched 1 -> 2
        if track is None:
            tally.add(ids, box, np.zeros(0, np.int64), np.zeros((0, 4), np.float32))
        else:
            tally.add(ids, box, np.array([track]), box)
    assert (tally.id_switches, tally.fragmentations, tally.matches, tally.truth_tracks) == (1, 1, 5, 1)


def write_sequence(folder: Path, rows: str) -> None:
    (folder / "images").mkdir(parents=True)
    (folder / "annotations").mkdir()
    (folder / "annotations" / "seqinfo.ini").write_text("[Sequence]\nframeRate=10\nimWidth=64\nimHeight=48\n")
    (folder / "images" / "000001.jpg").write_bytes(b"")
    header = "frame,image,track_id,bb_left,bb_top,bb_width,bb_height,conf,class,visibility,status\n"
    (folder / "boxes.csv").write_text(header + rows)


def test_labels_load_clipped_to_the_image_with_standing_people_apart(tmp_path: Path) -> None:
    write_sequence(tmp_path / "seq", "1,000001.jpg,4,51,1,20,30,1,1,0.5,kept\n1,000001.jpg,5,1,1,5,5,0,7,1,ignore\n")
    (frame,) = load_sequence(tmp_path / "seq").frames
    assert frame.xyxy.tolist() == [[50, 0, 64, 30], [0, 0, 5, 5]]  # 1-based corners, clipped to 64 px
    assert frame.standing.tolist() == [False, True] and frame.track_id.tolist() == [4, 5]


def test_bad_labels_name_the_file_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_sequence(tmp_path / "seq", "1,000001.jpg,4,51,1,20,30,1,1,0.5,kept\n1,000001.jpg,x,1,1,5,5,1,1,1,kept\n")
    with pytest.raises(UserError, match=r"boxes.csv, line 3: invalid literal"):
        load_sequence(tmp_path / "seq")
    assert main(["eval", "counts", str(tmp_path), "--tune-on", "seq"]) == 1
    assert "line 3" in capsys.readouterr().err


def test_the_tuning_sequence_must_be_one_of_those_evaluated(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_sequence(tmp_path / "seq", "1,000001.jpg,4,51,1,20,30,1,1,0.5,kept\n")
    assert main(["eval", "counts", str(tmp_path), "--tune-on", "other"]) == 1
    assert "--tune-on 'other' is not among the sequences ['seq']" in capsys.readouterr().err
