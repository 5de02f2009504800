"""Loss: YOLOX's SimOTA assignment for weapon boxes, plus distillation of the frozen COCO teacher.

Every anchor learns the teacher's objectness, its 80 class scores (weighted by the teacher's objectness,
where they matter) and, where the teacher sees an object, its box. Anchors SimOTA assigns to a weapon box
instead learn objectness 1, the box, and the weapon class (IoU-aware target, as YOLOX). So COCO detection,
people above all, is kept while the weapon class is added; no pseudo-label threshold is needed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from models.training.port import COCO_CLASSES, STRIDES

CENTER_RADIUS = 2.5
IOU_WEIGHT = 5.0
DISTIL_BOX_MIN_OBJ = 0.1


@dataclass(frozen=True)
class Anchors:
    centres: torch.Tensor  # (A, 2) pixel centres of the grid cells
    grid: torch.Tensor  # (A, 2) cell column, row
    strides: torch.Tensor  # (A,)


def make_anchors(size: int) -> Anchors:
    grids, strides = [], []
    for stride in STRIDES:
        ys, xs = torch.meshgrid(torch.arange(size // stride), torch.arange(size // stride), indexing="ij")
        grids.append(torch.stack([xs.flatten(), ys.flatten()], 1).float())
        strides.append(torch.full((xs.numel(),), float(stride)))
    grid, stride = torch.cat(grids), torch.cat(strides)
    return Anchors((grid + 0.5) * stride[:, None], grid, stride)


def decode_boxes(reg: torch.Tensor, anchors: Anchors) -> torch.Tensor:
    """(B, A, 4) raw YOLOX regression -> x1 y1 x2 y2 in input pixels."""
    centre = (reg[..., :2] + anchors.grid) * anchors.strides[:, None]
    size = reg[..., 2:4].clamp(max=10).exp() * anchors.strides[:, None]
    return torch.cat([centre - size / 2, centre + size / 2], -1)


def box_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Pairwise IoU of (N, 4) and (M, 4) xyxy boxes -> (N, M)."""
    lt = torch.maximum(a[:, None, :2], b[None, :, :2])
    rb = torch.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = (rb - lt).clamp(min=0).prod(-1)
    area_a = (a[:, 2:] - a[:, :2]).clamp(min=0).prod(-1)
    area_b = (b[:, 2:] - b[:, :2]).clamp(min=0).prod(-1)
    return inter / (area_a[:, None] + area_b[None, :] - inter + 1e-9)


@torch.no_grad()
def simota(
    boxes: torch.Tensor, pred_boxes: torch.Tensor, weapon_score: torch.Tensor, anchors: Anchors
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Positive anchor indices, their ground-truth index and IoU, for one image's (G, 4) weapon boxes."""
    centres = anchors.centres
    in_box = ((centres[None] > boxes[:, None, :2]) & (centres[None] < boxes[:, None, 2:])).all(-1)
    gt_centre = (boxes[:, :2] + boxes[:, 2:]) / 2
    radius = CENTER_RADIUS * anchors.strides[None, :, None]
    in_centre = ((centres[None] - gt_centre[:, None]).abs() < radius).all(-1)
    candidate = (in_box | in_centre).any(0)
    cand_idx = candidate.nonzero().squeeze(1)
    if cand_idx.numel() == 0:
        empty = torch.zeros(0, dtype=torch.long)
        return empty, empty, torch.zeros(0)
    ious = box_iou(boxes, pred_boxes[cand_idx])  # (G, C)
    score = weapon_score[cand_idx].clamp(1e-6, 1 - 1e-6)
    cls_cost = (-0.5 * torch.log(score))[None].expand_as(ious)  # YOLOX: BCE of sqrt(obj * cls) against 1
    both = (in_box & in_centre)[:, cand_idx]
    cost = cls_cost + 3.0 * -torch.log(ious + 1e-8) + 1e5 * (~both)
    matching = torch.zeros_like(cost)
    top_k = min(10, ious.shape[1])
    dynamic_k = ious.topk(top_k, 1).values.sum(1).int().clamp(min=1)
    for g in range(boxes.shape[0]):
        chosen = cost[g].topk(int(dynamic_k[g]), largest=False).indices
        matching[g, chosen] = 1.0
    multiple = matching.sum(0) > 1
    if multiple.any():
        best = cost[:, multiple].argmin(0)
        matching[:, multiple] = 0.0
        matching[best, multiple.nonzero().squeeze(1)] = 1.0
    fg = matching.sum(0) > 0
    gt_index = matching[:, fg].argmax(0)
    return cand_idx[fg], gt_index, ious[gt_index, fg.nonzero().squeeze(1)]


def assignments(
    weapon_boxes: list[torch.Tensor], pred_boxes: torch.Tensor, weapon_score: torch.Tensor, anchors: Anchors
) -> Iterator[tuple[int, torch.Tensor, torch.Tensor, torch.Tensor]]:
    """(image index, positive anchors, their box index, IoU) for every image SimOTA gives positives."""
    for b, boxes in enumerate(weapon_boxes):
        if boxes.numel() == 0:
            continue
        fg, gt_index, iou = simota(boxes, pred_boxes[b].detach(), weapon_score[b], anchors)
        if fg.numel():
            yield b, fg, gt_index, iou


def weapon_loss(
    student: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
    teacher: torch.Tensor,
    weapon_boxes: list[torch.Tensor],
    anchors: Anchors,
) -> tuple[torch.Tensor, dict[str, float]]:
    """Total loss and its parts; ``teacher`` is the frozen model's (B, A, 85) output (probabilities)."""
    reg, obj, cls = student
    t_reg, t_obj, t_cls = teacher[..., :4], teacher[..., 4], teacher[..., 5:]
    pred_boxes = decode_boxes(reg, anchors)
    obj_target = t_obj.clone()
    cls_target = torch.cat([t_cls, torch.zeros_like(t_cls[..., :1])], -1)
    cls_weight = t_obj.clone()
    distil_weight = (t_obj > DISTIL_BOX_MIN_OBJ).float() * t_obj  # where the teacher sees an object
    iou_terms = []
    num_fg = 0
    fg_mask = torch.zeros_like(t_obj, dtype=torch.bool)
    weapon_score = (torch.sigmoid(obj) * torch.sigmoid(cls[..., COCO_CLASSES])).detach()
    for b, fg, gt_index, iou in assignments(weapon_boxes, pred_boxes, weapon_score, anchors):
        boxes = weapon_boxes[b]
        num_fg += fg.numel()
        fg_mask[b, fg] = True
        obj_target[b, fg] = 1.0
        cls_target[b, fg] = 0.0
        cls_target[b, fg, COCO_CLASSES] = iou
        cls_weight[b, fg] = 1.0
        distil_weight[b, fg] = 0.0  # the weapon box, not the teacher's box, is the target here
        live_iou = torch.diag(box_iou(pred_boxes[b, fg], boxes[gt_index]))
        iou_terms.append((1 - live_iou**2).sum())
    # YOLOX divides by the number of positives; the distilled anchors get the teacher's object mass
    # instead, so the new class is not drowned by thousands of soft COCO targets.
    scale = torch.full_like(t_obj, 1.0 / max(1.0, float(t_obj.sum())))
    scale[fg_mask] = 1.0 / max(1, num_fg)
    loss_obj = (F.binary_cross_entropy_with_logits(obj, obj_target, reduction="none") * scale).sum()
    cls_bce = F.binary_cross_entropy_with_logits(cls, cls_target, reduction="none").sum(-1)
    loss_cls = (cls_bce * cls_weight * scale).sum()
    loss_distil_box = ((reg - t_reg).abs().sum(-1) * distil_weight * scale).sum()
    loss_iou = IOU_WEIGHT * torch.stack(iou_terms).sum() / max(1, num_fg) if iou_terms else reg.sum() * 0.0
    total = loss_obj + loss_cls + loss_distil_box + loss_iou
    parts = {
        "obj": float(loss_obj),
        "cls": float(loss_cls),
        "box_distil": float(loss_distil_box),
        "iou": float(loss_iou),
        "fg": float(num_fg),
    }
    return total, parts


def branch_loss(
    weapon: tuple[torch.Tensor, torch.Tensor, torch.Tensor], weapon_boxes: list[torch.Tensor], anchors: Anchors
) -> tuple[torch.Tensor, dict[str, float]]:
    """YOLOX's loss for the separate weapon head: its objectness means "a weapon here", so every anchor
    SimOTA does not assign to a weapon box is a negative (people included); no teacher is involved."""
    reg, obj, cls = weapon
    pred_boxes = decode_boxes(reg, anchors)
    obj_target = torch.zeros_like(obj)
    weapon_score = (torch.sigmoid(obj) * torch.sigmoid(cls[..., 0])).detach()
    cls_logits, cls_targets, iou_terms = [], [], []
    for b, fg, gt_index, iou in assignments(weapon_boxes, pred_boxes, weapon_score, anchors):
        boxes = weapon_boxes[b]
        obj_target[b, fg] = 1.0
        cls_logits.append(cls[b, fg, 0])
        cls_targets.append(iou)
        live_iou = torch.diag(box_iou(pred_boxes[b, fg], boxes[gt_index]))
        iou_terms.append((1 - live_iou**2).sum())
    num_fg = max(1, int(obj_target.sum()))
    loss_obj = F.binary_cross_entropy_with_logits(obj, obj_target, reduction="sum") / num_fg
    if cls_logits:
        loss_cls = F.binary_cross_entropy_with_logits(torch.cat(cls_logits), torch.cat(cls_targets), reduction="sum")
        loss_cls = loss_cls / num_fg
        loss_iou = IOU_WEIGHT * torch.stack(iou_terms).sum() / num_fg
    else:
        loss_cls = loss_iou = cls.sum() * 0.0
    total = loss_obj + loss_cls + loss_iou
    return total, {"obj": float(loss_obj), "cls": float(loss_cls), "iou": float(loss_iou), "fg": float(num_fg)}
