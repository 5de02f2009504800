"""Weight-space blending of a fine-tuned model with the COCO original it started from (WiSE-FT).

Wortsman et al., "Robust fine-tuning of zero-shot models" (CVPR 2022): interpolating the weights,
``alpha * fine_tuned + (1 - alpha) * original``, keeps much of what the fine-tune learnt while giving
back much of what it forgot. Here that is person detection: the fine-tune lowers people's scores, and the
blend trades some weapon accuracy for them with no extra training and no extra cost per frame. The
added `weapon` class rows have no original and stay as trained.
"""

from __future__ import annotations

import torch

from models.training.port import COCO_CLASSES


def blend_state(fine_tuned: dict[str, torch.Tensor], original: dict[str, torch.Tensor], alpha: float) -> dict:
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"blend alpha must be within [0, 1], got {alpha}")
    blended = {}
    for name, tuned in fine_tuned.items():
        base = original[name]
        if not tuned.is_floating_point():  # graph constants (shapes, slice ends): never averaged
            blended[name] = tuned
        elif tuned.shape == base.shape:
            blended[name] = alpha * tuned + (1 - alpha) * base
        else:  # a widened class conv: COCO rows blend, the new rows are the fine-tune's own
            mixed = tuned.clone()
            mixed[:COCO_CLASSES] = alpha * tuned[:COCO_CLASSES] + (1 - alpha) * base[:COCO_CLASSES]
            blended[name] = mixed
    return blended
