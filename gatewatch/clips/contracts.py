"""Sample clip contracts: sample_videos/<clip>.yaml + <clip>.expected.json, compared with what a replay produced."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from gatewatch import packaged
from gatewatch.vision.analytics_config import StrictModel

CONTRACTS_DIR = packaged.sample_videos_dir()
EventType = Literal["weapon", "loitering", "crowding"]


class ExpectedEvent(StrictModel):
    type: EventType
    zone: str = Field(min_length=1, description="Zone id the event must be raised in.")
    start_s: float = Field(ge=0.0, description="Approximate start, seconds from the clip's first frame.")
    tolerance_s: float = Field(5.0, ge=0.0, le=600.0, description="Allowed distance from start_s.")


class ForbiddenEvent(StrictModel):
    type: EventType
    zone: str | None = Field(None, description="Zone id; absent = in any zone.")


class ClipContract(StrictModel):
    clip: str = Field(min_length=1, description="File name in the samples folder.")
    camera: str | None = Field(None, description="Camera id in the YAML whose zones apply (default: the only one).")
    start_time: dt.datetime = Field(description="Wall-clock time of the first frame, with UTC offset.")
    expect: list[ExpectedEvent] = Field(default_factory=list, description="Events that must be produced.")
    forbid: list[ForbiddenEvent] = Field(default_factory=list, description="Events that must not be produced.")


def contracts(directory: Path = CONTRACTS_DIR) -> list[tuple[Path, ClipContract]]:
    """(config path, contract) for every sample clip that has both files."""
    found = []
    for expected in sorted(directory.glob("*.expected.json")):
        config = expected.with_name(expected.name.removesuffix(".expected.json") + ".yaml")
        if config.is_file():
            found.append((config, ClipContract.model_validate_json(expected.read_text(encoding="utf-8"))))
    return found


def read_events(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def contract_problems(contract: ClipContract, events: Iterable[dict[str, Any]]) -> list[str]:
    """What the produced events get wrong against the contract; empty when it holds."""
    started = [e for e in events if e["lifecycle"] == "new"]
    problems = []
    for want in contract.expect:
        candidates = [e for e in started if e["type"] == want.type and e["zone"] == want.zone]
        if not any(abs(e["start_s"] - want.start_s) <= want.tolerance_s for e in candidates):
            seen = ", ".join(f"{e['start_s']:.1f}s" for e in candidates) or "none"
            problems.append(
                f"expected {want.type} in zone {want.zone!r} near {want.start_s:.1f}s (±{want.tolerance_s:g}); "
                f"got starts at: {seen}"
            )
    for banned in contract.forbid:
        hits = [e for e in started if e["type"] == banned.type and banned.zone in (None, e["zone"])]
        if hits:
            where = f" in zone {banned.zone!r}" if banned.zone else ""
            problems.append(f"{banned.type}{where} must not fire; fired at {hits[0]['start_s']:.1f}s")
    return problems
