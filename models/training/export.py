"""Export a training checkpoint to the ONNX file the product loads.

    python -m models.training.export --teacher ../shared/models/yolox_nano.onnx \
        --checkpoint RUN/train/epoch8.pt --out models/weights/yolox_nano_weapon.onnx [--design branch]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from models.training.designs import make_design


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--teacher", type=Path, required=True, help="yolox_nano.onnx: the graph the weights fit")
    parser.add_argument("--checkpoint", type=Path, required=True, help="epochN.pt or last.pt of a training run")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--design", choices=("branch", "finetune"), default="finetune")
    parser.add_argument("--size", type=int, default=416)
    parser.add_argument(
        "--blend", type=float, default=1.0, help="finetune: weight of the fine-tune against the original (blend.py)"
    )
    args = parser.parse_args(argv)
    design = make_design(args.design, args.teacher, args.size)
    state = torch.load(args.checkpoint, weights_only=True)
    design.trainable.load_state_dict(state.get("model", state))
    design.export(args.out, args.blend)
    print(f"{args.out}: {args.out.stat().st_size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
