"""Design (b'): the COCO network frozen and unchanged, plus a weapon head branch on its neck features.

YOLOX's head runs, per level, a stem conv, a class branch and a box branch on the neck's output. We copy
that head (the COCO weights as the starting point) into a second, trainable head whose class output is
the single class `weapon`; the backbone, the neck and the COCO head stay exactly yolox_nano's. People and
every COCO class are therefore detected exactly as before (no distillation, nothing to forget), and the
weapon branch costs the head's share of the network (~16 % of its multiply-adds), not a second model.

The export merges both heads into YOLOX's single-output layout [B, anchors, 5 + 81]: per anchor,
objectness = max(COCO objectness, weapon score) and every class column is its score divided by that
objectness, so the product's decoder (score = objectness x class) reads each COCO score unchanged and the
weapon score exactly; an anchor takes the weapon box where the weapon score beats its best COCO score.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path

import onnx
import onnx2torch
import torch
from torch import fx, nn

from models.training.port import COCO_CLASSES, STRIDES, _head_convs, flatten_levels

KNIFE = 43  # COCO class id of `knife`: the closest COCO class starts the weapon class row
WEAPON_PRIOR = 0.01
EPS = 1e-7

Levels = tuple[torch.Tensor, torch.Tensor, torch.Tensor]


def _ancestors(node: fx.Node) -> set[fx.Node]:
    seen: set[fx.Node] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        stack.extend(a for a in current.all_input_nodes)
    return seen


def _head_nodes(reg: fx.Node, obj: fx.Node, cls: fx.Node) -> tuple[fx.Node, list[fx.Node]]:
    """(the neck output feeding this level's head, the head's nodes from its stem conv on, in order)."""
    common = _ancestors(reg) & _ancestors(cls)
    order = {n: i for i, n in enumerate(reg.graph.nodes)}
    stem_act = max(common, key=order.__getitem__)  # the stem's activation: where the two branches split
    stem_conv = next(a for a in stem_act.all_input_nodes if a.op == "call_module" and "Conv" in str(a.target))
    neck = stem_conv.all_input_nodes[0]
    inside = (_ancestors(reg) | _ancestors(obj) | _ancestors(cls)) - (_ancestors(neck))
    return neck, sorted(inside, key=order.__getitem__)


class FrozenYolox(nn.Module):
    """yolox_nano unchanged: forward -> (its flattened reg, obj, cls logits, the three neck outputs)."""

    def __init__(self, body: fx.GraphModule) -> None:
        super().__init__()
        self.body = body
        for parameter in self.parameters():
            parameter.requires_grad_(False)

    def forward(self, images: torch.Tensor) -> tuple[Levels, list[torch.Tensor]]:
        """(the COCO head's flattened reg, obj, cls logits, the three neck outputs)."""
        outputs = self.body(images)
        return flatten_levels(outputs), list(outputs[3 * len(STRIDES) :])


def build(onnx_path: Path) -> tuple[FrozenYolox, fx.GraphModule]:
    """The frozen COCO network and a trainable weapon head initialised from its COCO head."""
    body = onnx2torch.convert(onnx.load(str(onnx_path)))
    graph = body.graph
    levels = _head_convs(graph)
    branch_graph = fx.Graph()
    modules: dict[str, nn.Module] = {}
    env: dict[fx.Node, fx.Node] = {}
    necks, branch_outputs = [], []
    for level, (reg, obj, cls) in enumerate(levels):
        neck, head = _head_nodes(reg, obj, cls)
        necks.append(neck)
        env[neck] = branch_graph.placeholder(f"neck{level}")
        for node in head:
            env[node] = branch_graph.node_copy(node, lambda a: env[a])
            if node.op == "call_module":
                modules[str(node.target)] = copy.deepcopy(body.get_submodule(str(node.target)))
        modules[str(cls.target)] = _weapon_row(body.get_submodule(str(cls.target)))
        branch_outputs.extend(env[n] for n in (reg, obj, cls))
    branch_graph.output(tuple(branch_outputs))
    branch = fx.GraphModule(modules, branch_graph)
    old_output = next(n for n in graph.nodes if n.op == "output")
    with graph.inserting_before(old_output):
        graph.output(tuple(n for level in levels for n in level) + tuple(necks))
    graph.erase_node(old_output)
    graph.eliminate_dead_code()
    body.delete_all_unused_submodules()
    body.recompile()
    return FrozenYolox(body).eval(), branch


def _weapon_row(coco_cls: nn.Module) -> nn.Conv2d:
    if not isinstance(coco_cls, nn.Conv2d) or coco_cls.out_channels != COCO_CLASSES:
        raise ValueError(f"expected the 80-class conv of a COCO YOLOX head, got {coco_cls}")
    conv = nn.Conv2d(coco_cls.in_channels, 1, coco_cls.kernel_size, coco_cls.stride, coco_cls.padding)
    with torch.no_grad():
        conv.weight[0] = coco_cls.weight[KNIFE]
        conv.bias[0] = -math.log((1 - WEAPON_PRIOR) / WEAPON_PRIOR)
    return conv


def run_branch(branch: fx.GraphModule, necks: list[torch.Tensor]) -> Levels:
    return flatten_levels(branch(*necks))


def merge(coco: Levels, weapon: Levels) -> torch.Tensor:
    """Both heads in YOLOX's [B, A, 5 + 81] layout; obj x class gives each head's own score back."""
    reg_c, obj_c, cls_c = coco
    reg_w, obj_w, cls_w = weapon
    objectness = obj_c.sigmoid()
    coco_scores = objectness.unsqueeze(2) * cls_c.sigmoid()
    weapon_score = obj_w.sigmoid() * cls_w[..., 0].sigmoid()
    merged_obj = torch.maximum(objectness, weapon_score)
    denominator = merged_obj.clamp(min=EPS).unsqueeze(2)
    classes = torch.cat([coco_scores, weapon_score.unsqueeze(2)], 2) / denominator
    weapon_wins = (weapon_score > coco_scores.amax(2)).unsqueeze(2)
    reg = torch.where(weapon_wins, reg_w, reg_c)
    return torch.cat([reg, merged_obj.unsqueeze(2), classes.clamp(max=1.0)], 2)


class MergedExport(nn.Module):
    def __init__(self, frozen: FrozenYolox, branch: fx.GraphModule) -> None:
        super().__init__()
        self.frozen = frozen
        self.branch = branch

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        coco, necks = self.frozen(images)
        return merge(coco, run_branch(self.branch, necks))


def export_merged(frozen: FrozenYolox, branch: fx.GraphModule, path: Path, size: int = 416) -> None:
    """Batch 1, static size, like the shipped yolox_nano.onnx (the product's detector expects that)."""
    wrapper = MergedExport(frozen, branch).eval()
    dummy = torch.full((1, 3, size, size), 114.0)
    torch.onnx.export(
        wrapper, (dummy,), str(path), input_names=["images"], output_names=["output"], opset_version=17, dynamo=False
    )
