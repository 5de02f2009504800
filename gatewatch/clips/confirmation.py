"""Say when a weapon rule's k-of-n confirmation could never be met by the analysed input.

A still image (`gatewatch analyze photo.jpg`) is one detection frame; a weapon rule that needs 3 of 5
sightings cannot fire on it, however clearly the weapon shows. Reporting "no events" there would read as
"no weapon", so the summary carries a note instead of silence.
"""

from __future__ import annotations

from gatewatch.streams.camera_config import CameraConfig


def unreachable_confirmations(camera: CameraConfig, frames_detected: int) -> list[str]:
    notes = []
    for zone in camera.zones:
        rule = zone.weapon
        if rule is not None and frames_detected < rule.confirm_k:
            notes.append(
                f"camera {camera.id!r} zone {zone.id!r}: the weapon rule needs a weapon in {rule.confirm_k} of "
                f"{rule.confirm_n} detection frames, but this input gave {frames_detected} detection frame(s), "
                "so no weapon event was possible (a still image cannot confirm); run a clip or lower confirm_k"
            )
    return notes
