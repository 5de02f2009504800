"""Check the torch port against ONNX Runtime on real frames before training from it.

    python -m models.training.parity --onnx ../shared/models/yolox_nano.onnx --data RUN/data/splits.json

Prints the max absolute difference of the 85 YOLOX outputs (box terms, objectness, class scores) between
the ONNX file in ONNX Runtime and its torch port (widened by one class, which is ignored here), on test
images and sample-clip frames. Writes the figures as JSON with --json.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch

from models.training.data import letterbox, load_items
from models.training.port import COCO_CLASSES, YoloxExport, load_yolox


def _frames(splits_json: Path, count: int) -> list[tuple[str, np.ndarray]]:
    import cv2

    items = load_items(splits_json, "test", with_negatives=False)
    negatives = json.loads(splits_json.read_text())["negatives"]
    step_items, step_neg = max(1, len(items) // count), max(1, len(negatives) // count)
    paths = [str(i.image) for i in items[::step_items][:count]] + negatives[::step_neg][:count]
    frames = []
    for path in paths:
        image = cv2.imread(path, cv2.IMREAD_COLOR)
        canvas, _ = letterbox(image, 416, 1.0, (0, 0))
        frames.append((path, canvas.astype(np.float32).transpose(2, 0, 1)[None].copy()))
    return frames


def measure(onnx_path: Path, splits_json: Path, count: int) -> dict[str, float | int]:
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    port = YoloxExport(load_yolox(onnx_path, extra_classes=1)).eval()
    worst_box, worst_scores = 0.0, 0.0
    frames = _frames(splits_json, count)
    for _, tensor in frames:
        reference = session.run(None, {session.get_inputs()[0].name: tensor})[0]
        with torch.no_grad():
            ported = port(torch.from_numpy(tensor)).numpy()[..., : 5 + COCO_CLASSES]
        diff = np.abs(reference - ported)
        worst_box = max(worst_box, float(diff[..., :4].max()))
        worst_scores = max(worst_scores, float(diff[..., 4:].max()))
    return {"frames": len(frames), "max_abs_diff_box_terms": worst_box, "max_abs_diff_scores": worst_scores}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--onnx", type=Path, required=True)
    parser.add_argument("--data", type=Path, required=True, help="splits.json from models.training.prepare")
    parser.add_argument("--count", type=int, default=20, help="frames from each source (test images, clips)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    result = measure(args.onnx, args.data, args.count)
    print(json.dumps(result, indent=1))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
