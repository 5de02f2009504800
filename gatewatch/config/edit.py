"""Validating an edited config exactly like the file, with errors located by camera and zone id.

Errors name their field the way a person reads the config: ``cameras.gate.zones.table.polygon``
(ids, not list positions, which shift as zones are added and removed).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from typing import Any

import yaml
from pydantic import ValidationError

from gatewatch.config.schema import GatewatchConfig
from gatewatch.redaction import redact_url
from gatewatch.streams.runtime import build_analyzer
from gatewatch.vision.errors import UserError

Loc = list[str | int]


class ConfigRejected(UserError):
    """The change would make an invalid config; ``issues`` are FastAPI-style ``{loc, msg, type}`` dicts."""

    def __init__(self, issues: list[dict[str, Any]]) -> None:
        self.issues = issues
        super().__init__("; ".join(f"{'.'.join(map(str, i['loc']))}: {i['msg']}" for i in issues))


def issue(loc: Sequence[str | int], msg: str, kind: str = "value_error") -> dict[str, Any]:
    return {"loc": list(loc), "msg": msg, "type": kind}


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON merge patch: objects merge key by key, ``null`` deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def named_loc(data: Any, loc: Sequence[str | int]) -> Loc:
    """Replace list positions by the ``id`` of the item there, where it has one."""
    out: Loc = []
    node = data
    for part in loc:
        child = None
        if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            child = node[part]
            item_id = child.get("id") if isinstance(child, dict) else None
            out.append(item_id if isinstance(item_id, str) else part)
        else:
            child = node.get(part) if isinstance(node, dict) else None
            out.append(part)
        node = child
    return out


# GatewatchConfig's cross-reference check fails at the root; its message starts with the real path.
_REFERENCE = re.compile(r"^(?:Value error, )?cameras\.(.+?)\.zones\.(.+)\.crowding\.schedules: (.*)$", re.DOTALL)


def validation_issues(exc: ValidationError, data: Any, prefix: Loc | None = None) -> list[dict[str, Any]]:
    issues = []
    for err in exc.errors(include_url=False):
        loc, msg = named_loc(data, err["loc"]), err["msg"]
        if not loc and (found := _REFERENCE.match(msg)):
            camera, zone, msg = found.groups()
            loc = ["cameras", camera, "zones", zone, "crowding", "schedules"]
        issues.append(issue([*(prefix or []), *loc], msg, err["type"]))
    return issues


def validate_config(data: dict[str, Any], class_names: Sequence[str]) -> GatewatchConfig:
    """The whole config from JSON data, checked like the file plus the model's class names."""
    try:
        config = GatewatchConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigRejected(validation_issues(exc, data)) from exc
    problems = []
    for camera in config.cameras:
        try:
            build_analyzer(camera, config, list(class_names))
        except ValueError as exc:  # "cameras.<id>.zones.<zone>.<rule>.<field>: unknown ..."
            path, _, msg = str(exc).partition(": ")
            problems.append(issue(["cameras", camera.id, *_zone_path(path, camera.id)], msg or str(exc)))
    if problems:
        raise ConfigRejected(problems)
    return config


def _zone_path(path: str, camera_id: str) -> Loc:
    """``zones.<zone>.<rule>.<field>`` from the analyzer's message path; zone ids may contain dots."""
    rest = path.removeprefix(f"cameras.{camera_id}.")
    if not rest.startswith("zones."):
        return [rest]
    return ["zones", *rest.removeprefix("zones.").rsplit(".", 2)]


def as_json(config: GatewatchConfig) -> dict[str, Any]:
    return config.model_dump(mode="json")


def config_hash(config: GatewatchConfig) -> str:
    """sha256 of the config's content (canonical JSON): comments and key order in the file do not count."""
    canonical = json.dumps(as_json(config), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def redact_source(source: str) -> str:
    """A camera URL without its credentials: readers of the config need no secrets.

    See ``gatewatch.redaction``; kept here for the config editing code that compares redacted sources.
    """
    return redact_url(source)


# Camera fields that may hold a URL with a password: every one is redacted wherever a camera is shown.
SOURCE_FIELDS = ("source", "view_source")


def redact_camera(camera: dict[str, Any]) -> dict[str, Any]:
    """A camera's JSON with the password removed from every source field present (in place, returned)."""
    for key in SOURCE_FIELDS:
        if camera.get(key):
            camera[key] = redact_source(camera[key])
    return camera


def to_yaml(config: GatewatchConfig, *, redact: bool = True) -> str:
    """The running config as a config file (defaults left out); ``parse_config`` reads it back unchanged.

    Camera passwords are replaced by ``***`` unless ``redact`` is False.
    """
    data = config.model_dump(mode="json", exclude_defaults=True)
    if redact:
        for camera in data["cameras"]:
            redact_camera(camera)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=None, width=120)
