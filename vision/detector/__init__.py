"""Object detection on ONNX Runtime: one ``Detector`` interface, YOLOX and Ultralytics output adapters."""

from vision.detector.detector import Detector
from vision.detector.errors import ModelError
from vision.detector.factory import ModelFormat, build_detector

__all__ = ["Detector", "ModelError", "ModelFormat", "build_detector"]
