"""Detector on the real shipped models and real images, plus layout and file errors."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import pytest

from gatewatch.assets.models import load_manifest
from gatewatch.vision.detector import Detector, ModelError, build_detector
from gatewatch.vision.detector.detector import OnnxDetector
from gatewatch.vision.detector.letterbox import PAD_VALUE, Letterbox
from gatewatch.vision.detector.ultralytics import LETTERBOX as CENTRED_RGB
from gatewatch.vision.detector.yolox import LETTERBOX as TOP_LEFT_BGR
from tests.assets import load_image

MODELS_DIR = Path(os.environ.get("GATEWATCH_MODELS_DIR") or Path(__file__).resolve().parents[3] / "shared" / "models")
YOLOX = MODELS_DIR / "yolox_nano.onnx"
YOLOV8 = MODELS_DIR / "yolov8n_int8.onnx"
COCO = tuple(load_manifest().models["yolox_nano"].classes)
CONFIDENCE = 0.2  # yolox scores bus.jpg's half-visible left-edge person 0.26: keep a margin below it

# Reference boxes (x1, y1, x2, y2 source pixels) measured once by running these models on the images,
# NMS IoU 0.45, onnxruntime 1.32 / OpenCV 5.0 on CPU; matched by IoU > 0.7 to tolerate runtime drift.
REFERENCES = {
    ("yolox", "bus.jpg"): {
        "person": [[50, 394, 214, 898], [219, 403, 347, 855], [686, 451, 810, 874], [0, 560, 82, 882]],
        "bus": [[13, 231, 801, 735]],
    },
    ("ultralytics", "bus.jpg"): {
        "person": [[50, 398, 244, 903], [221, 408, 343, 856], [672, 372, 810, 879], [0, 562, 56, 868]],
        "bus": [[34, 231, 800, 766]],
    },
    ("yolox", "zidane.jpg"): {"person": [[150, 201, 681, 713], [712, 39, 1152, 707]], "tie": [[434, 436, 498, 687]]},
    ("ultralytics", "zidane.jpg"): {
        "person": [[109, 197, 1113, 711], [751, 45, 1126, 708]],
        "tie": [[434, 436, 524, 714]],
    },
}


Detectors = dict[str, OnnxDetector]  # by format
Images = dict[str, np.ndarray]  # by file name


def load(format: str, path: Path | None = None, **overrides: object) -> OnnxDetector:
    """The shipped model of ``format`` (or ``path``) with the manifest's settings, some overridden."""
    default, names, size = (YOLOX, COCO, (416, 416)) if format == "yolox" else (YOLOV8, None, None)
    settings = {"input_size": size, "class_names": names, "confidence": CONFIDENCE, "nms_iou": 0.45, "threads": 2}
    return build_detector(path or default, format, **{**settings, **overrides})  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def detectors() -> Detectors:
    return {format: load(format) for format in ("yolox", "ultralytics")}


@pytest.fixture(scope="module")
def images() -> Images:
    return {name: load_image(name) for name in ("bus.jpg", "zidane.jpg")}


def iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    top_left = np.maximum(box[:2], boxes[:, :2])
    bottom_right = np.minimum(box[2:], boxes[:, 2:])
    inter = np.prod(np.clip(bottom_right - top_left, 0, None), axis=1)
    return inter / (_area(box) + _area(boxes) - inter)


def _area(boxes: np.ndarray) -> np.ndarray:
    return np.prod(boxes[..., 2:] - boxes[..., :2], axis=-1)


@pytest.mark.parametrize("format", ["yolox", "ultralytics"])
@pytest.mark.parametrize(("image", "people"), [("bus.jpg", 4), ("zidane.jpg", 2)])
def test_finds_reference_objects(detectors: Detectors, images: Images, format: str, image: str, people: int) -> None:
    detector, frame = detectors[format], images[image]
    found = detector.detect(frame)
    names = np.array(detector.class_names)[found.class_id]
    assert (names == "person").sum() == people
    for class_name, boxes in REFERENCES[(format, image)].items():
        mine = found.xyxy[names == class_name]
        for box in np.array(boxes, np.float32):
            assert mine.size and iou(box, mine).max() > 0.7, f"{class_name} {box} not in {mine.round()}"


@pytest.mark.parametrize("format", ["yolox", "ultralytics"])
def test_boxes_in_source_pixels_clipped_to_frame(detectors: Detectors, images: Images, format: str) -> None:
    detector = detectors[format]
    assert isinstance(detector, Detector)
    assert len(detector.class_names) == 80 and detector.class_names[0] == "person"
    for frame in images.values():
        found = detector.detect(frame)
        height, width = frame.shape[:2]
        assert found.xyxy.dtype == np.float32 and found.class_id.dtype == np.int32
        assert (found.xyxy >= 0).all() and (found.xyxy[:, [0, 2]] <= width).all()
        assert (found.xyxy[:, [1, 3]] <= height).all()
        assert (found.xyxy[:, 2:] > found.xyxy[:, :2]).all()
        assert (found.confidence >= CONFIDENCE).all() and (found.tracker_id == -1).all()


@pytest.mark.parametrize("format", ["yolox", "ultralytics"])
def test_detect_batch_on_static_batch_model_matches_detect(detectors: Detectors, images: Images, format: str) -> None:
    detector = detectors[format]
    frames = [images["bus.jpg"], images["zidane.jpg"]]
    assert detector.batched is False  # both shipped models are exported with batch 1
    assert detector.detect_batch([]) == []
    for single, batched in zip([detector.detect(f) for f in frames], detector.detect_batch(frames)):
        np.testing.assert_array_equal(single.xyxy, batched.xyxy)
        np.testing.assert_array_equal(single.class_id, batched.class_id)


@pytest.mark.parametrize(("format", "size"), [("yolox", (416, 416)), ("ultralytics", (640, 640))])
def test_no_cap_on_detections_per_frame(images: Images, format: str, size: tuple[int, int]) -> None:
    detector = load(format, confidence=0.001)
    assert detector.input_size == size and detector.name == ("yolox_nano" if format == "yolox" else "yolov8n_int8")
    assert len(detector.detect(images["bus.jpg"])) > 100


def test_session_uses_configured_threads_and_provider() -> None:
    session = load("yolox", threads=1).session
    options = session.get_session_options()
    assert (options.intra_op_num_threads, options.inter_op_num_threads) == (1, 1)
    assert options.execution_mode == ort.ExecutionMode.ORT_SEQUENTIAL
    assert options.graph_optimization_level == ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    assert session.get_providers() == ["CPUExecutionProvider"]


@pytest.mark.unit
def test_letterbox_top_left_bgr_and_centred_rgb() -> None:
    frame = np.zeros((50, 100, 3), np.uint8)
    frame[..., 0] = 255  # pure blue in BGR
    out = np.empty((3, 64, 64), np.float32)
    placement = Letterbox((64, 64), TOP_LEFT_BGR)(frame, out)
    assert (placement.scale, placement.pad_x, placement.pad_y) == (0.64, 0, 0)
    assert (out[0, :32] == 255).all() and (out[1:, :32] == 0).all() and (out[:, 32:] == PAD_VALUE).all()

    letterbox = Letterbox((64, 64), CENTRED_RGB)
    letterbox(np.full((64, 64, 3), 255, np.uint8), out)  # fills the whole canvas ...
    placement = letterbox(frame, out)  # ... so the next placement must repaint the padding
    assert (placement.pad_x, placement.pad_y) == (0, 16)
    assert np.allclose(out[:, :16], PAD_VALUE / 255) and np.allclose(out[:, 48:], PAD_VALUE / 255)
    assert (out[2, 16:48] == 1.0).all() and (out[:2, 16:48] == 0).all()  # blue is the last RGB channel


def tiny_ultralytics_model(path: Path, output_dims: tuple[int, int], dynamic_batch: bool = True) -> Path:
    """A 64x64 two-class model: anchor 0 is a box at input (24, 24, 40, 40) scored by the image's mean."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    channels, anchors = output_dims
    weight = np.zeros((1, channels, anchors), np.float32)
    bias = np.zeros_like(weight)
    if channels == 6:
        bias[0, :4, 0] = [32, 32, 16, 16]  # cx, cy, w, h
        weight[0, 4, 0] = 1.0  # class 0 score = mean of the 0-1 input
    batch = "batch" if dynamic_batch else 1
    graph = helper.make_graph(
        [
            helper.make_node("ReduceMean", ["images"], ["mean"], axes=[1, 2, 3], keepdims=0),
            helper.make_node("Reshape", ["mean", "shape"], ["mean3"]),
            helper.make_node("Mul", ["mean3", "weight"], ["scaled"]),
            helper.make_node("Add", ["scaled", "bias"], ["output0"]),
        ],
        "tiny",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [batch, 3, 64, 64])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, [batch, channels, anchors])],
        [
            numpy_helper.from_array(np.array([-1, 1, 1], np.int64), "shape"),
            numpy_helper.from_array(weight, "weight"),
            numpy_helper.from_array(bias, "bias"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    helper.set_model_props(model, {"names": "{0: 'pupil', 1: 'bag'}"})
    onnx.save(model, path)
    return path


def test_dynamic_batch_runs_frames_in_one_session_call(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = tiny_ultralytics_model(tmp_path / "tiny.onnx", (6, 84))
    detector = build_detector(model, "ultralytics", None, None, confidence=0.3, nms_iou=0.45, threads=1)
    assert detector.batched and detector.class_names == ("pupil", "bag")
    calls: list[int] = []
    run = detector.session.run

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return run(*args, **kwargs)

    monkeypatch.setattr(detector.session, "run", counted)
    # 128x64 frames land at scale 0.5 with 16 px of padding above and below.
    black, white, grey = (np.full((64, 128, 3), v, np.uint8) for v in (0, 255, 128))
    found = detector.detect_batch([black, white, grey])
    assert len(calls) == 1
    assert [len(d) for d in found] == [0, 1, 1]
    assert found[1].confidence[0] > found[2].confidence[0] > 0.3
    np.testing.assert_allclose(found[1].xyxy[0], [48, 16, 80, 48], atol=1e-4)  # ((24, 24, 40, 40) - pad) / 0.5


def test_wrong_output_layout_names_expected_and_found(tmp_path: Path) -> None:
    model = tiny_ultralytics_model(tmp_path / "transposed.onnx", (84, 6))  # [1, anchors, 4+nc]
    with pytest.raises(ModelError, match=r"expected output \[1, 6, N\] for ultralytics.*found \[batch, 84, 6\]"):
        build_detector(model, "ultralytics", None, None, confidence=0.3, nms_iou=0.45, threads=1)


def test_model_of_the_other_format_is_rejected() -> None:
    with pytest.raises(ModelError, match=r"expected output \[1, 8400, 85\] for yolox.*found \[1, 84, 8400\]"):
        load("yolox", path=YOLOV8, input_size=None)
    with pytest.raises(ModelError, match=r"expected output \[1, 84, N\] for ultralytics.*found \[1, 3549, 85\]"):
        load("ultralytics", path=YOLOX, class_names=COCO)


def test_manifest_disagreeing_with_model_is_rejected() -> None:
    with pytest.raises(ModelError, match=r"input_size \[640, 640\].*\[416, 416\]"):
        load("yolox", input_size=(640, 640))
    with pytest.raises(ModelError, match=r"79 classes, found \[1, 3549, 85\]"):
        load("yolox", class_names=COCO[:79])
    with pytest.raises(ModelError, match="carry no class names"):
        load("yolox", class_names=None)
    with pytest.raises(ModelError, match="manifest lists 79 classes but the model's metadata names 80"):
        load("ultralytics", class_names=COCO[:79])


@pytest.mark.unit
@pytest.mark.parametrize("content", [b"this is a text file, not a model\n", None])
def test_non_onnx_file_is_a_model_error(tmp_path: Path, content: bytes | None) -> None:
    path = tmp_path / "broken.onnx"
    path.write_bytes(content if content is not None else YOLOX.read_bytes()[:100_000])  # None: truncated
    with pytest.raises(ModelError, match=rf"{path} is not a valid ONNX model"):
        load("yolox", path=path)


@pytest.mark.unit
def test_missing_file_is_a_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="does not exist"):
        load("yolox", path=tmp_path / "absent.onnx")


def test_cuda_runs_on_cuda_or_says_what_to_install() -> None:
    if "CUDAExecutionProvider" in ort.get_available_providers():  # onnxruntime-gpu on a GPU machine
        assert "CUDAExecutionProvider" in load("yolox", device="cuda").session.get_providers()
    else:
        with pytest.raises(ModelError, match="onnxruntime-gpu"):
            load("yolox", device="cuda")
