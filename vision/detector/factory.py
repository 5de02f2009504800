"""``build_detector``: open a model file, check its layout against the chosen adapter, warm it up."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

from gatewatch.vision.detector import ultralytics, yolox
from gatewatch.vision.detector.adapter import Adapter
from gatewatch.vision.detector.detector import OnnxDetector
from gatewatch.vision.detector.dynamic_batch import dynamic_batch_model, onnx_available
from gatewatch.vision.detector.errors import ModelError
from gatewatch.vision.detector.session import ModelIO, create_session, describe, format_shape

ModelFormat = Literal["yolox", "ultralytics"]
ADAPTERS: dict[str, Callable[[ModelIO, tuple[int, int], Sequence[str] | None], Adapter]] = {
    "yolox": yolox.build,
    "ultralytics": ultralytics.build,
}


def build_detector(
    path: Path,
    format: ModelFormat,
    input_size: tuple[int, int] | None,
    class_names: Sequence[str] | None,
    confidence: float,
    nms_iou: float,
    threads: int,
    device: str = "cpu",
    name: str | None = None,
    batch: bool = False,
) -> OnnxDetector:
    """A ready detector; ``input_size`` is (width, height), ``name`` defaults to the file's stem.

    ``batch``: run a batch-1 export with a dynamic batch (see ``dynamic_batch``), one ``session.run`` per
    scheduler round. Raises ModelError when that cannot be done, when the file is not ONNX, its layout is
    not ``format``'s, or it disagrees with the given input size or class names.
    """
    if format not in ADAPTERS:
        raise ValueError(f"unknown model format {format!r}: expected one of {', '.join(ADAPTERS)}")
    graph = None
    if batch:
        graph = dynamic_batch_model(path)
        if graph is None:
            reason = "install the onnx package" if not onnx_available() else "its Reshape shapes are not fixable"
            raise ModelError(f"{path}: cannot run it with a dynamic batch ({reason}); set detector.batch: false")
    session = create_session(path, threads, device, graph)
    io = describe(session, path)
    size = _input_size(io, input_size)
    adapter = ADAPTERS[format](io, size, class_names)
    return OnnxDetector(session, adapter, size, confidence, nms_iou, name or path.stem)


def _input_size(io: ModelIO, declared: tuple[int, int] | None) -> tuple[int, int]:
    """(width, height) from the graph when static, else from the manifest; the two must agree."""
    shape = io.input_shape
    batch_ok = len(shape) == 4 and (shape[0] == 1 or not isinstance(shape[0], int))
    if not batch_ok or shape[1] != 3:
        raise ModelError(f"{io.path}: expected input [1, 3, H, W] (batch 1 or dynamic), found {format_shape(shape)}")
    height, width = shape[2], shape[3]
    if isinstance(width, int) and isinstance(height, int):
        if declared is not None and tuple(declared) != (width, height):
            raise ModelError(
                f"{io.path}: manifest input_size {list(declared)} [w, h] but the model's input is "
                f"{format_shape(shape)}, i.e. [{width}, {height}]"
            )
        return width, height
    if declared is None:
        raise ModelError(f"{io.path}: input {format_shape(shape)} has a dynamic size; give input_size [w, h]")
    return int(declared[0]), int(declared[1])
