"""YOLOX-Nano's COCO weights from its ONNX file as a trainable torch module, with extra class outputs.

onnx2torch turns the ONNX graph into a torch.fx GraphModule (batch-norm is already folded into the convs).
We cut the graph before each level's sigmoid + concat so training sees logits, and widen the three class
convs from 80 to 80 + extra outputs: COCO rows keep their weights, new rows start at a low prior. The
export wrapper puts the sigmoid / concat / transpose back, so the ONNX keeps YOLOX's [1, anchors, 5 + C].
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import onnx
import onnx2torch
import torch
from torch import fx, nn

STRIDES = (8, 16, 32)
COCO_CLASSES = 80
NEW_CLASS_PRIOR = 0.01  # initial probability of an added class, as in YOLOX / RetinaNet heads


def _head_convs(graph: fx.Graph) -> list[tuple[fx.Node, fx.Node, fx.Node]]:
    """(reg conv, obj conv, cls conv) per level, from the concats that build each level's output."""
    levels = []
    for node in graph.nodes:
        if node.op != "call_module" or not node.target.startswith("Concat") or len(node.args) != 3:
            continue
        reg, obj_sig, cls_sig = node.args
        if all(isinstance(a, fx.Node) for a in node.args) and obj_sig.target.startswith("Sigmoid"):
            levels.append((reg, obj_sig.args[0], cls_sig.args[0]))
    if len(levels) != len(STRIDES):
        raise ValueError(f"expected {len(STRIDES)} YOLOX head levels, found {len(levels)}")
    return levels


class YoloxTrainable(nn.Module):
    """forward(images BGR 0-255, NCHW) -> (reg [B, A, 4], obj logits [B, A], cls logits [B, A, C])."""

    def __init__(self, body: fx.GraphModule, num_classes: int) -> None:
        super().__init__()
        self.body = body
        self.num_classes = num_classes

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return flatten_levels(self.body(images))


def flatten_levels(outputs: Sequence[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per-level (reg, obj, cls) maps, level after level -> (reg [B, A, 4], obj logits [B, A], cls [B, A, C])."""
    levels = range(len(STRIDES))
    reg = torch.cat([outputs[3 * i].flatten(2) for i in levels], 2).transpose(1, 2)
    obj = torch.cat([outputs[3 * i + 1].flatten(2) for i in levels], 2)[:, 0]
    cls = torch.cat([outputs[3 * i + 2].flatten(2) for i in levels], 2).transpose(1, 2)
    return reg, obj, cls


class YoloxExport(nn.Module):
    """The ONNX layout the product reads: [B, anchors, 4 + 1 + C], sigmoid on objectness and classes."""

    def __init__(self, model: YoloxTrainable) -> None:
        super().__init__()
        self.model = model

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        reg, obj, cls = self.model(images)
        return torch.cat([reg, obj.sigmoid().unsqueeze(2), cls.sigmoid()], 2)


def load_yolox(onnx_path: Path, extra_classes: int = 1) -> YoloxTrainable:
    body = onnx2torch.convert(onnx.load(str(onnx_path)))
    graph = body.graph
    levels = _head_convs(graph)
    for _, _, cls_node in levels:
        _widen(body, str(cls_node.target), extra_classes)
    old_output = next(n for n in graph.nodes if n.op == "output")
    with graph.inserting_before(old_output):
        graph.output(tuple(node for level in levels for node in level))
    graph.erase_node(old_output)
    graph.eliminate_dead_code()
    body.delete_all_unused_submodules()
    body.recompile()
    return YoloxTrainable(body, COCO_CLASSES + extra_classes)


def _widen(body: fx.GraphModule, name: str, extra: int) -> None:
    old = body.get_submodule(name)
    if not isinstance(old, nn.Conv2d) or old.out_channels != COCO_CLASSES:
        raise ValueError(f"{name}: expected the 80-class conv of a COCO YOLOX head, got {old}")
    new = nn.Conv2d(old.in_channels, COCO_CLASSES + extra, old.kernel_size, old.stride, old.padding)
    with torch.no_grad():
        new.weight[:COCO_CLASSES] = old.weight
        new.bias[:COCO_CLASSES] = old.bias
        new.weight[COCO_CLASSES:].normal_(0, 0.01)
        new.bias[COCO_CLASSES:] = -math.log((1 - NEW_CLASS_PRIOR) / NEW_CLASS_PRIOR)
    body.add_submodule(name, new)


def export_onnx(model: YoloxTrainable, path: Path, input_size: tuple[int, int] = (416, 416)) -> None:
    """Batch 1, static size, like the shipped yolox_nano.onnx (the product's detector expects that)."""
    width, height = input_size
    wrapper = YoloxExport(model).eval()
    dummy = torch.full((1, 3, height, width), 114.0)
    torch.onnx.export(
        wrapper,
        (dummy,),
        str(path),
        input_names=["images"],
        output_names=["output"],
        opset_version=17,
        dynamo=False,
    )


def freeze_high_resolution(model: YoloxTrainable, min_stride: int = 8, size: int = 416) -> int:
    """Freeze the convs whose output is finer than ``min_stride`` (stem and first stage); return how many.

    Generic edges and textures need no new training, and the backward pass through the 208x208 and
    104x104 maps is the most expensive part of a step on a CPU.
    """
    shapes: dict[str, int] = {}
    convs = {name: m for name, m in model.named_modules() if isinstance(m, nn.Conv2d)}
    hooks = [
        module.register_forward_hook(lambda _m, _i, out, name=name: shapes.__setitem__(name, out.shape[-1]))
        for name, module in convs.items()
    ]
    with torch.no_grad():
        model(torch.zeros(1, 3, size, size))
    for hook in hooks:
        hook.remove()
    frozen = [name for name, side in shapes.items() if side > size // min_stride]
    for name in frozen:
        for parameter in convs[name].parameters():
            parameter.requires_grad_(False)
    return len(frozen)
