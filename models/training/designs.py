"""The two designs `train_weapon` can train, behind one small interface.

- ``finetune`` (default, shipped): the whole network (but its stride < 8 convs) widened to 81 classes and
  fine-tuned, COCO kept by distilling the frozen original (`loss.weapon_loss`).
- ``branch``: yolox_nano frozen and unchanged, a second head for `weapon` on its neck (`branch.py`). Person
  and COCO detection are exactly yolox_nano's, but the frozen features learn weapons far more slowly
  (measured in models/EVAL_weapons.md); kept to reproduce that comparison.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import torch
from torch import nn

from models.training import branch as branch_design
from models.training.blend import blend_state
from models.training.loss import branch_loss, make_anchors, weapon_loss
from models.training.port import YoloxExport, YoloxTrainable, export_onnx, freeze_high_resolution, load_yolox

HEAD_LR_GAIN = 5.0  # finetune: the widened class convs hold the new class, they learn faster than the body


class Design(Protocol):
    trainable: nn.Module

    def param_groups(self) -> list[dict]: ...

    def loss(self, images: torch.Tensor, boxes: list[torch.Tensor]) -> tuple[torch.Tensor, dict[str, float]]: ...

    def export(self, path: Path, blend: float = 1.0) -> None: ...


class BranchDesign:
    def __init__(self, teacher: Path, size: int) -> None:
        self.frozen, self.trainable = branch_design.build(teacher)
        self.anchors = make_anchors(size)
        self.size = size
        self.describe = "yolox_nano frozen; a weapon head on its neck is trained"

    def param_groups(self) -> list[dict]:
        return [{"params": list(self.trainable.parameters()), "gain": 1.0}]

    def loss(self, images: torch.Tensor, boxes: list[torch.Tensor]) -> tuple[torch.Tensor, dict[str, float]]:
        with torch.no_grad():
            _, necks = self.frozen(images)
        return branch_loss(branch_design.run_branch(self.trainable, necks), boxes, self.anchors)

    def export(self, path: Path, blend: float = 1.0) -> None:
        if blend != 1.0:
            raise ValueError("--blend applies to the finetune design only (the branch design changes no COCO weight)")
        branch_design.export_merged(self.frozen, self.trainable.eval(), path, self.size)


class FinetuneDesign:
    def __init__(self, teacher: Path, size: int) -> None:
        self.teacher_path = teacher
        self.trainable: YoloxTrainable = load_yolox(teacher, extra_classes=1).train()
        frozen = freeze_high_resolution(self.trainable, size=size)
        self.teacher = YoloxExport(load_yolox(teacher, extra_classes=0)).eval()
        for p in self.teacher.parameters():
            p.requires_grad_(False)
        self.anchors = make_anchors(size)
        self.size = size
        self.describe = f"whole network fine-tuned with distillation; {frozen} high-resolution convs frozen"

    def param_groups(self) -> list[dict]:
        trainable = [(n, p) for n, p in self.trainable.named_parameters() if p.requires_grad]
        head = [p for n, p in trainable if self._is_class_conv(n)]
        head_ids = {id(p) for p in head}
        body = [p for _, p in trainable if id(p) not in head_ids]
        return [{"params": body, "gain": 1.0}, {"params": head, "gain": HEAD_LR_GAIN}]

    def _is_class_conv(self, name: str) -> bool:
        module = self.trainable.get_submodule(name.rsplit(".", 1)[0])
        return isinstance(module, nn.Conv2d) and module.out_channels == self.trainable.num_classes

    def loss(self, images: torch.Tensor, boxes: list[torch.Tensor]) -> tuple[torch.Tensor, dict[str, float]]:
        with torch.no_grad():
            target = self.teacher(images)
        return weapon_loss(self.trainable(images), target, boxes, self.anchors)

    def export(self, path: Path, blend: float = 1.0) -> None:
        """``blend`` < 1 exports ``blend * fine-tuned + (1 - blend) * original`` weights (blend.py)."""
        model = self.trainable
        if blend != 1.0:
            model = load_yolox(self.teacher_path, extra_classes=1)
            original = load_yolox(self.teacher_path, extra_classes=0).state_dict()
            model.load_state_dict(blend_state(self.trainable.state_dict(), original, blend))
        export_onnx(model.eval(), path, (self.size, self.size))


def make_design(name: str, teacher: Path, size: int) -> BranchDesign | FinetuneDesign:
    if name == "branch":
        return BranchDesign(teacher, size)
    if name == "finetune":
        return FinetuneDesign(teacher, size)
    raise ValueError(f"unknown design {name!r}: expected 'branch' or 'finetune'")
