"""Object detection on ONNX Runtime: one ``Detector`` interface, YOLOX and Ultralytics output adapters."""

from gatewatch.vision.detector.detector import Detector
from gatewatch.vision.detector.errors import ModelError
from gatewatch.vision.detector.factory import ModelFormat, build_detector

__all__ = ["Detector", "ModelError", "ModelFormat", "build_detector"]
