"""Train YOLOX-Nano (COCO) into COCO + `weapon`: by default a fine-tune distilling the frozen original to
keep COCO alive (``--design finetune``), or a separate weapon head on the frozen network (``--design branch``).

    python -m models.training.train_weapon --data RUN/data/splits.json \
        --teacher ../shared/models/yolox_nano.onnx --out RUN/train

Needs the optional extra `train` (torch, onnx2torch). Fixed seed; the sample order and every augmentation
are derived from (seed, epoch, position), so a resumed run (same command again: it picks up
``<out>/last.pt``) sees exactly the batches an uninterrupted one would. Writes ``<out>/weapon.onnx``.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch

from models.training.data import Item, augment, load_items
from models.training.designs import make_design

WARMUP_STEPS = 50
BLEND = 1.0  # finetune: WiSE-FT blend of the exported weights with yolox_nano's (blend.py; 1 = no blend)


def batches_of_epoch(count: int, batch: int, seed: int, epoch: int) -> list[np.ndarray]:
    order = np.random.default_rng([seed, epoch]).permutation(count)
    return [order[i : i + batch] for i in range(0, count - batch + 1, batch)]  # drop the ragged tail


def make_batch(items: list[Item], indices: np.ndarray, size: int, seed: int, epoch: int) -> tuple:
    images, boxes = [], []
    for index in indices:
        rng = np.random.default_rng([seed, epoch, int(index)])
        image, weapon = augment(items[index], size, rng)
        images.append(torch.from_numpy(image))
        boxes.append(torch.from_numpy(weapon))
    return torch.stack(images), boxes


def learning_rate(step: int, total: int, base: float) -> float:
    if step < WARMUP_STEPS:
        return base * (step + 1) / WARMUP_STEPS
    progress = (step - WARMUP_STEPS) / max(1, total - WARMUP_STEPS)
    return base * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * progress)))


def save_checkpoint(path: Path, model: torch.nn.Module, optim: torch.optim.Optimizer, epoch: int, pos: int) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save({"model": model.state_dict(), "optim": optim.state_dict(), "epoch": epoch, "pos": pos}, tmp)
    tmp.replace(path)  # atomic: an interrupted save never leaves a broken checkpoint


def train(args: argparse.Namespace) -> Path:
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.lr is None:
        args.lr = 1e-3 if args.design == "branch" else 2e-4
    items = load_items(args.data, "train", with_negatives=True, negatives_repeat=args.negatives_repeat)
    design = make_design(args.design, args.teacher, args.size)
    model = design.trainable.train()
    optim = torch.optim.AdamW(design.param_groups(), lr=args.lr, weight_decay=0.0)
    checkpoint = args.out / "last.pt"
    epoch, pos = 0, 0
    if checkpoint.is_file():
        state = torch.load(checkpoint, weights_only=True)
        model.load_state_dict(state["model"])
        optim.load_state_dict(state["optim"])
        epoch, pos = state["epoch"], state["pos"]
        print(f"resuming from {checkpoint}: epoch {epoch + 1}, batch {pos}", flush=True)
    per_epoch = len(batches_of_epoch(len(items), args.batch, args.seed, 0))
    total = per_epoch * args.epochs
    print(
        f"{len(items)} images, {per_epoch} batches of {args.batch} per epoch, {args.epochs} epochs; "
        f"design {args.design}: {design.describe}",
        flush=True,
    )
    started, done_at_start = time.monotonic(), epoch * per_epoch + pos
    while epoch < args.epochs:
        batches = batches_of_epoch(len(items), args.batch, args.seed, epoch)
        while pos < len(batches):
            step = epoch * per_epoch + pos
            for group in optim.param_groups:
                group["lr"] = learning_rate(step, total, args.lr) * group["gain"]
            images, boxes = make_batch(items, batches[pos], args.size, args.seed, epoch)
            loss, parts = design.loss(images, boxes)
            optim.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
            optim.step()
            pos += 1
            if pos % args.log_every == 0 or pos == len(batches):
                _progress(step + 1, total, done_at_start, started, epoch, loss, parts)
            if pos % args.checkpoint_every == 0:
                save_checkpoint(checkpoint, model, optim, epoch, pos)
        epoch, pos = epoch + 1, 0
        save_checkpoint(checkpoint, model, optim, epoch, pos)
        torch.save(model.state_dict(), args.out / f"epoch{epoch}.pt")
    onnx_path = args.out / "weapon.onnx"
    design.export(onnx_path, args.blend)
    print(f"exported {onnx_path}", flush=True)
    return onnx_path


def _progress(step: int, total: int, first: int, started: float, epoch: int, loss: torch.Tensor, parts: dict) -> None:
    elapsed = time.monotonic() - started
    rate = (step - first) / elapsed if elapsed > 0 else 0.0
    eta = (total - step) / rate if rate > 0 else float("inf")
    detail = " ".join(f"{k} {v:.3f}" for k, v in parts.items())
    print(
        f"epoch {epoch + 1} step {step}/{total} loss {float(loss):.3f} ({detail}) "
        f"{rate * 60:.1f} batches/min, eta {eta / 60:.1f} min",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="splits.json written by models.training.prepare")
    parser.add_argument("--teacher", type=Path, required=True, help="yolox_nano.onnx (COCO weights to start from)")
    parser.add_argument("--out", type=Path, required=True, help="run folder: checkpoints, log, weapon.onnx")
    parser.add_argument("--design", choices=("branch", "finetune"), default="finetune", help="see designs.py")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument(
        "--negatives-repeat", type=int, default=3, help="times each colour no-weapon clip frame is seen per epoch"
    )
    parser.add_argument(
        "--blend", type=float, default=BLEND, help="exported weights: this share fine-tune, the rest the original"
    )
    parser.add_argument("--lr", type=float, default=None, help="default: 1e-3 (branch), 2e-4 (finetune)")
    parser.add_argument("--size", type=int, default=416)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--threads", type=int, default=1, help="torch threads; 1 wastes least when the cores are shared"
    )
    parser.add_argument("--log-every", type=int, default=10)
    parser.add_argument("--checkpoint-every", type=int, default=50)
    train(parser.parse_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
