"""The weapon evaluation as Markdown: the tables a reader needs to judge the model, no prose claims."""

from __future__ import annotations

from typing import Any

from gatewatch.evaluate.weapons.metrics import SIZE_BUCKETS


def _fmt(value: object) -> str:
    if value is None:
        return "n/a"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def _accuracy_rows(label: str, acc: dict[str, Any]) -> list[str]:
    rows = []
    for scope, point in [("all", acc["overall"])] + [(b, acc["by_size"][b]) for b in SIZE_BUCKETS]:
        rows.append(
            f"| {label} | {scope} | {point['ground_truth']} | {point['predictions']} | "
            f"{_fmt(point['precision'])} | {_fmt(point['recall'])} |"
        )
    return rows


def markdown(report: dict[str, Any]) -> str:
    weapon, base = report["weapon"], report["baseline_weapon"]
    base_name = f"{report['baseline']['model']} `{'/'.join(report['baseline']['classes'])}`"
    lines = [
        "# Weapon model evaluation",
        "",
        f"Model `{report['model']}` on {report['test_images']} held-out test images "
        f"({report['test_weapon_boxes']} weapon boxes); baseline: {base_name} on the same images.",
        "",
        "| model | AP50 |",
        "|---|---|",
        f"| {report['model']} `weapon` | {_fmt(weapon['ap50'])} |",
        f"| {base_name} | {_fmt(base['ap50'])} |",
        "",
        f"Precision / recall at the shipped threshold {weapon['threshold']} (size at 416x416: small < 32², "
        "large > 96²; recall by ground-truth size, precision by detection size):",
        "",
        "| model | boxes | ground truth | detections | precision | recall |",
        "|---|---|---|---|---|---|",
        *_accuracy_rows(report["model"], weapon),
        *_accuracy_rows(base_name, base),
        "",
        "Best-F1 threshold on the validation split (not test), for choosing the shipped threshold: "
        + ", ".join(f"{k} {_fmt(v)}" for k, v in report["valid_best_f1"].items()),
        "",
        "False weapon detections on test frames with people and no weapon:",
        "",
        "| model | frames | false detections | frames with one | per 1,000 frames |",
        "|---|---|---|---|---|",
    ]
    for name, fa in ((report["model"], report["false_alarms"]), (base_name, report["baseline_false_alarms"])):
        lines.append(
            f"| {name} | {fa['frames']} | {fa['false_detections']} | {fa['frames_with_false_detection']} | "
            f"{_fmt(fa['false_detections_per_1000_frames'])} |"
        )
    lines += ["", "Person recall against the baseline's persons on sample-clip frames (1 per second, IoU >= 0.5):", ""]
    lines += ["| at confidence | reference persons | found | recall | extra persons |", "|---|---|---|---|---|"]
    for pr in report["person_recall"]:
        lines.append(
            f"| {pr['at_confidence']} | {pr['reference_persons']} | {pr['found']} | {_fmt(pr['recall'])} | "
            f"{pr['persons_not_in_reference']} |"
        )
    lines += _clip_lines(report) + _cost_lines(report)
    sheet = report["contact_sheet"]
    lines += [
        "",
        f"Failures at the shipped threshold: {sheet['images_with_miss']} test images with a missed weapon, "
        f"{sheet['images_with_false_alarm']} with a false weapon detection (contact sheet: failures.jpg in the "
        "evaluation's output folder).",
        "",
    ]
    return "\n".join(lines)


def _clip_lines(report: dict[str, Any]) -> list[str]:
    if "clip_events" not in report:
        return []
    lines = [
        "",
        "Weapon events through `gatewatch analyze` on the no-weapon sample clips (whole-frame weapon rule, "
        "3 of 5 detection frames, 5 det/s). The training saw frames of the first half of the clips marked *:",
        "",
        "| clip | seconds | detection frames | weapon events | of which in the unseen second half |",
        "|---|---|---|---|---|",
    ]
    for row in report["clip_events"]:
        mark = " *" if row["first_half_seen_in_training"] else ""
        lines.append(
            f"| {row['clip']}{mark} | {row['clip_s']} | {row['frames_detected']} | {row['weapon_events']} | "
            f"{row['weapon_events_second_half']} |"
        )
    return lines


def _cost_lines(report: dict[str, Any]) -> list[str]:
    lines = ["", "Detector cost on sample-clip frames (CPU ms = process CPU time, all threads):", ""]
    lines += ["| model, threads | wall ms/frame | CPU ms/frame | CPU cores at 5 det/s |", "|---|---|---|---|"]
    for name, cost in report["cost"].items():
        lines.append(
            f"| {name} | {cost['wall_ms_per_frame']} | {cost['cpu_ms_per_frame']} | {cost['cpu_cores_at_5_det_s']} |"
        )
    return lines
