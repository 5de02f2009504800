"""Markdown rendering of ``gatewatch eval counts`` results."""

from __future__ import annotations

from typing import Any

RULE_TITLES = {
    "mot": "MOT rule (standing people don't care)",
    "with_standing": "standing people counted",
    "visible": "MOT rule, people >= 25 % visible",
}
COST_HEADER = (
    "| sequence | inferences/frame | detect ms (median, p90) | vs frame | streams per 2 cores (detector only) "
    "| ID switches | fragmentations | tracked / truth boxes | without still revival: IDSW, frag |"
)


def markdown(results: dict[str, Any]) -> str:
    lines = [
        f"# Counting and continuity: {results['model']}",
        "",
        (
            f"Thresholds tuned on `{results['tuned_on']}` (highest recall at precision >= 0.9, MOT rule); "
            "other sequences were not seen by the tuning. Recall/precision: person boxes matched one-to-one at "
            "IoU >= 0.5, mean over frames (pooled in brackets). Count error: detections minus people, per frame."
        ),
        "",
    ]
    lines += _summary(results)
    for mode_name, mode in results["modes"].items():
        lines += [f"## Mode `{mode_name}` (confidence {mode['confidence']})", ""]
        lines += [
            "| sequence | rule | density | frames | people/frame | recall | precision | count error | |count error| |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for seq_name, seq in mode["sequences"].items():
            label = f"{seq_name}{' (tuning)' if seq['tuning'] else ''}"
            for rule, title in RULE_TITLES.items():
                rows = {"all": seq[rule]["all"], **seq[rule]["by_density"]}
                for density, s in rows.items():
                    lines.append(
                        f"| {label} | {title} | {density} | {s['frames']} | {s['people_per_frame']} | "
                        f"{s['recall_mean']} ({s['recall_pooled']}) | "
                        f"{s['precision_mean']} ({s['precision_pooled']}) | "
                        f"{s['count_error_mean']:+} | {s['count_abs_error_mean']} |"
                    )
        lines += ["", COST_HEADER, "|---|---|---|---|---|---|---|---|---|"]
        for seq_name, seq in mode["sequences"].items():
            c, t, off = seq["cost"], seq["continuity"]["default"], seq["continuity"]["no_still_revival"]
            lines.append(
                f"| {seq_name} | {c['inferences_per_frame']} | {c['detect_ms_median']}, {c['detect_ms_p90']} | "
                f"{c.get('vs_frame', '')} | {c['streams_per_2_cores_detector_only']} at "
                f"{c['streams_per_2_cores_at_fps']} fps | {t['id_switches']} | {t['fragmentations']} | "
                f"{t['tracked_boxes']} / {t['truth_boxes']} | {off['id_switches']}, {off['fragmentations']} |"
            )
        lines.append("")
    return "\n".join(lines)


def _summary(results: dict[str, Any]) -> list[str]:
    """One line per mode and sequence: recall/precision (MOT rule and standing people counted), cost."""
    lines = [
        "## Summary (all frames; mean over frames)",
        "",
        (
            "| mode | confidence | sequence | people/frame | recall | precision | recall, standing counted "
            "| precision, standing counted | detect ms | vs frame |"
        ),
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for mode_name, mode in results["modes"].items():
        for seq_name, seq in mode["sequences"].items():
            mot, standing, cost = seq["mot"]["all"], seq["with_standing"]["all"], seq["cost"]
            label = f"{seq_name}{' (tuning)' if seq['tuning'] else ''}"
            lines.append(
                f"| {mode_name} | {mode['confidence']} | {label} | {mot['people_per_frame']} | {mot['recall_mean']} | "
                f"{mot['precision_mean']} | {standing['recall_mean']} | {standing['precision_mean']} | "
                f"{cost['detect_ms_median']} | {cost.get('vs_frame', '')} |"
            )
    return [*lines, ""]
