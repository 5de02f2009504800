"""`gatewatch eval weapons`: argument parsing for the evaluation commands."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

SHIPPED_WEAPON_THRESHOLD = 0.5  # the weapon rule's min_confidence in sample_videos/demo.yaml


def _cmd_eval_weapons(args: argparse.Namespace) -> int:
    from gatewatch.config.settings import get_settings
    from gatewatch.evaluate.weapons.weapons import WeaponEvalRequest, run, stderr_progress, write_outputs

    request = WeaponEvalRequest(
        model=args.model,
        baseline=args.baseline,
        baseline_classes=tuple(args.baseline_classes.split(",")),
        dataset=args.dataset,
        threshold=args.threshold,
        out_dir=args.out,
        clip_events=not args.no_clips,
    )
    report = run(request, get_settings(), stderr_progress)
    write_outputs(report, args.out, args.markdown, args.json)
    print((args.out / "weapon_eval.md").read_text())
    return 0


def add_weapons_parser(eval_sub: Any) -> None:  # argparse's _SubParsersAction is private
    """``gatewatch eval weapons``, under the ``eval`` command of gatewatch.evaluate.cli."""
    weapons = eval_sub.add_parser(
        "weapons",
        help="weapon AP50, precision/recall by size, false alarms, clip events, person recall and cost",
    )
    weapons.add_argument(
        "--dataset",
        type=Path,
        required=True,
        help="the weapon-detection-cctv-v3 folder (with Assets/dataset/{valid,test} and _provenance/)",
    )
    weapons.add_argument("--model", default="yolox_nano_weapon", help="manifest name of the weapon model")
    weapons.add_argument("--baseline", default="yolox_nano", help="manifest name of today's model")
    weapons.add_argument("--baseline-classes", default="knife", help="baseline classes counted as weapons (comma list)")
    weapons.add_argument(
        "--threshold",
        type=float,
        default=SHIPPED_WEAPON_THRESHOLD,
        help=f"weapon min_confidence to report precision/recall at (default {SHIPPED_WEAPON_THRESHOLD}, as shipped)",
    )
    weapons.add_argument("--out", type=Path, default=Path("out/eval-weapons"), help="report, contact sheet, clip runs")
    weapons.add_argument(
        "--markdown", type=Path, help="also write the Markdown report here (e.g. models/EVAL_weapons.md)"
    )
    weapons.add_argument("--json", type=Path, help="also write the JSON report here")
    weapons.add_argument("--no-clips", action="store_true", help="skip the sample-clip weapon-event runs")
    weapons.set_defaults(func=_cmd_eval_weapons)
