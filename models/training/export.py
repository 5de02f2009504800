"""Export a training checkpoint to the ONNX file the product loads.

    python -m models.training.export --teacher ../shared/models/yolox_nano.onnx \
        --checkpoint RUN/train/epoch2.pt --out models/weights/yolox_nano_weapon.onnx
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from models.training.port import export_onnx, load_yolox


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--teacher", type=Path, required=True, help="yolox_nano.onnx: the graph the weights fit")
    parser.add_argument("--checkpoint", type=Path, required=True, help="epochN.pt or last.pt of a training run")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--size", type=int, default=416)
    args = parser.parse_args(argv)
    model = load_yolox(args.teacher, extra_classes=1)
    state = torch.load(args.checkpoint, weights_only=True)
    model.load_state_dict(state.get("model", state))
    export_onnx(model.eval(), args.out, (args.size, args.size))
    print(f"{args.out}: {args.out.stat().st_size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
