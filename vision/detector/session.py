"""ONNX Runtime session creation, kept apart so threading and provider policy live in one place."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import onnxruntime as ort
from onnxruntime.capi import onnxruntime_pybind11_state as ort_state

from gatewatch.vision.detector.errors import ModelError

Dim = int | str | None  # ort reports a dynamic dimension as its symbolic name or None
Shape = tuple[Dim, ...]

# Raised by onnxruntime for bytes that do not parse as an ONNX graph (text, truncated, empty).
_NOT_ONNX = (ort_state.InvalidProtobuf, ort_state.InvalidArgument, ort_state.InvalidGraph, ort_state.NoModel)


@dataclass(frozen=True, slots=True)
class ModelIO:
    """What the adapters need to know about a loaded graph."""

    path: Path
    input_name: str
    input_shape: Shape
    output_shapes: tuple[Shape, ...]
    metadata: dict[str, str]

    def metadata_names(self) -> tuple[str, ...] | None:
        """Class names from Ultralytics-style metadata ``names`` ("{0: 'person', ...}"), if present."""
        raw = self.metadata.get("names")
        if raw is None:
            return None
        try:
            names = ast.literal_eval(raw)
        except (ValueError, SyntaxError) as exc:
            raise ModelError(f"{self.path}: metadata 'names' is not a dict literal: {raw[:80]!r}") from exc
        if not isinstance(names, dict) or sorted(names) != list(range(len(names))):
            raise ModelError(f"{self.path}: metadata 'names' must map 0..n-1 to class names, got {raw[:80]!r}")
        return tuple(str(names[i]) for i in range(len(names)))


def format_shape(shape: Shape) -> str:
    return "[" + ", ".join("?" if d is None else str(d) for d in shape) + "]"


def _providers(device: str) -> list[str]:
    if device == "cpu":
        return ["CPUExecutionProvider"]
    if device == "cuda":
        available = ort.get_available_providers()
        if "CUDAExecutionProvider" not in available:
            raise ModelError(
                "device 'cuda' needs the onnxruntime-gpu package (pip install onnxruntime-gpu in place of "
                f"onnxruntime); this onnxruntime {ort.__version__} offers only {', '.join(available)}"
            )
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]  # CPU runs any op CUDA lacks
    raise ModelError(f"unknown device {device!r}: expected 'cpu' or 'cuda'")


def create_session(path: Path, threads: int, device: str = "cpu", model: bytes | None = None) -> ort.InferenceSession:
    """Open ``path`` with explicit threading: cameras share the cores, so ORT must not size its own pools.

    ``model``: the serialized graph to run instead of the file's (a dynamic-batch version of it);
    ``path`` still names it in errors.
    """
    if threads < 1:
        raise ValueError(f"threads must be >= 1, got {threads}")
    providers = _providers(device)
    if not path.is_file():
        raise ModelError(f"model file {path} does not exist")
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    # Idle pool threads would spin-wait after every run; between a camera's detections that burns a
    # core the decoder threads need (measured by `gatewatch bench`, see bench/README.md).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    try:
        source = model if model is not None else str(path)
        return ort.InferenceSession(source, sess_options=options, providers=providers)
    except _NOT_ONNX as exc:
        raise ModelError(f"{path} is not a valid ONNX model: {exc}") from exc
    except Exception as exc:  # ort raises bare Exception subclasses (Fail, NotImplemented, EPFail, ...)
        raise ModelError(f"onnxruntime {ort.__version__} could not load {path}: {exc}") from exc


def describe(session: ort.InferenceSession, path: Path) -> ModelIO:
    inputs, outputs = session.get_inputs(), session.get_outputs()
    if len(inputs) != 1:
        found = ", ".join(f"{i.name} {format_shape(tuple(i.shape))}" for i in inputs)
        raise ModelError(f"{path}: expected one image input [1, 3, H, W], found {len(inputs)}: {found}")
    return ModelIO(
        path=path,
        input_name=inputs[0].name,
        input_shape=tuple(inputs[0].shape),
        output_shapes=tuple(tuple(o.shape) for o in outputs),
        metadata=dict(session.get_modelmeta().custom_metadata_map),
    )
