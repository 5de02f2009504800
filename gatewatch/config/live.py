"""LiveConfig: the running GatewatchConfig, changed live by the API, validated, applied, persisted, audited.

Every change builds the whole new config and validates it exactly as the file is validated (plus the
detector's class names), applies it to the runtime, then persists it with its audit entry in one
transaction. One lock serialises changes, so two operators editing at once never lose an edit.

At start the persisted config is used only if it was derived from the same config file content
(``config_hash``); when the file was edited since, the file wins and the stale edits are logged.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker

from gatewatch.config.edit import (
    SOURCE_FIELDS,
    ConfigRejected,
    as_json,
    config_hash,
    issue,
    merge_patch,
    redact_camera,
    redact_source,
    to_yaml,
    validate_config,
    validation_issues,
)
from gatewatch.config.schema import GatewatchConfig
from gatewatch.store.running_config import load_running_config, save_running_config
from gatewatch.streams.camera_config import CameraConfig
from gatewatch.vision.analytics_config import ScheduleConfig, ZoneConfig
from gatewatch.vision.errors import UserError

log = logging.getLogger(__name__)

Path = tuple[str, ...]  # ("cameras", <id>, "zones", <id>) or ("schedules", <name>); ids may contain dots
Apply = Callable[[GatewatchConfig], object]  # makes the runtime match; raises ValueError to refuse


class ConfigNotFound(UserError, LookupError):
    """No camera, zone or schedule of that id."""


class ConfigConflict(UserError):
    """It exists already (create with a taken id)."""


class LiveConfig:
    def __init__(
        self, file_config: GatewatchConfig, sessions: sessionmaker[Session], class_names: Sequence[str]
    ) -> None:
        self._sessions = sessions
        self._class_names = list(class_names)
        self._lock = threading.RLock()  # reentrant: a patch reads and writes under one hold
        self._apply: Apply | None = None
        self.listeners: list[Callable[[GatewatchConfig], None]] = []  # told after every applied change
        self.base_hash = config_hash(file_config)
        self.config, self.origin = self._startup_config(file_config)

    def _startup_config(self, file_config: GatewatchConfig) -> tuple[GatewatchConfig, str]:
        saved = load_running_config(self._sessions)
        if saved is None:
            return file_config, "file"
        if saved.base_hash != self.base_hash:
            log.warning(
                "config file changed since the live edits of %s by %s: the file wins, those edits are not used",
                saved.updated_at.isoformat(),
                saved.updated_by,
            )
            return file_config, "file"
        try:
            return validate_config(saved.config, self._class_names), "persisted"
        except ConfigRejected as exc:  # e.g. a model with other classes: the file is the safe fallback
            log.error("persisted running config is no longer valid (%s): using the config file", exc)
            return file_config, "file"

    def attach(self, apply: Apply) -> None:
        """Route changes to the runtime (``Runtime.apply`` behind source resolution)."""
        self._apply = apply

    # ------------------------------------------------------------------ reads

    def camera(self, camera_id: str) -> CameraConfig:
        found = next((c for c in self.config.cameras if c.id == camera_id), None)
        if found is None:
            raise ConfigNotFound(f"no camera {camera_id!r}")
        return found

    def zone(self, camera_id: str, zone_id: str) -> ZoneConfig:
        found = next((z for z in self.camera(camera_id).zones if z.id == zone_id), None)
        if found is None:
            raise ConfigNotFound(f"camera {camera_id!r} has no zone {zone_id!r}")
        return found

    def to_yaml(self) -> str:
        return to_yaml(self.config)

    # ------------------------------------------------------------------ changes

    def add_camera(self, actor: str, camera: CameraConfig) -> CameraConfig:
        def edit(data: dict[str, Any]) -> None:
            if any(c["id"] == camera.id for c in data["cameras"]):
                raise ConfigConflict(f"camera {camera.id!r} exists already")
            data["cameras"].append(camera.model_dump(mode="json"))

        return self._change(actor, ("cameras", camera.id), edit, lambda cfg: _camera(cfg, camera.id))

    def replace_camera(self, actor: str, camera_id: str, camera: CameraConfig) -> CameraConfig:
        if camera.id != camera_id:
            raise ConfigRejected([issue(["body", "id"], f"must be the camera id in the path ({camera_id!r})")])

        def edit(data: dict[str, Any]) -> None:
            index = _index(data["cameras"], camera_id, "camera")
            new, stored = camera.model_dump(mode="json"), data["cameras"][index]
            for key in SOURCE_FIELDS:  # a URL sent back as GET showed it keeps the real password
                if new.get(key) and stored.get(key) and new[key] == redact_source(stored[key]):
                    new[key] = stored[key]
            data["cameras"][index] = new

        return self._change(actor, ("cameras", camera_id), edit, lambda cfg: _camera(cfg, camera_id))

    def remove_camera(self, actor: str, camera_id: str) -> None:
        def edit(data: dict[str, Any]) -> None:
            del data["cameras"][_index(data["cameras"], camera_id, "camera")]

        self._change(actor, ("cameras", camera_id), edit, lambda cfg: None)

    def put_zone(self, actor: str, camera_id: str, zone: ZoneConfig, *, create: bool) -> ZoneConfig:
        def edit(data: dict[str, Any]) -> None:
            zones = data["cameras"][_index(data["cameras"], camera_id, "camera")]["zones"]
            exists = any(z["id"] == zone.id for z in zones)
            if create and exists:
                raise ConfigConflict(f"camera {camera_id!r} has a zone {zone.id!r} already")
            if create:
                zones.append(zone.model_dump(mode="json"))
            else:
                zones[_index(zones, zone.id, "zone")] = zone.model_dump(mode="json")

        path = ("cameras", camera_id, "zones", zone.id)
        return self._change(actor, path, edit, lambda cfg: _zone(cfg, camera_id, zone.id))

    def replace_zone(self, actor: str, camera_id: str, zone_id: str, zone: ZoneConfig) -> ZoneConfig:
        if zone.id != zone_id:
            raise ConfigRejected([issue(["body", "id"], f"must be the zone id in the path ({zone_id!r})")])
        self.zone(camera_id, zone_id)  # 404 before anything else
        return self.put_zone(actor, camera_id, zone, create=False)

    def patch_zone(self, actor: str, camera_id: str, zone_id: str, patch: dict[str, Any]) -> ZoneConfig:
        """RFC 7396 merge patch of one zone, e.g. ``{"loitering": {"dwell_s": 5}}``; ``null`` removes a rule."""
        with self._lock:
            merged = merge_patch(self.zone(camera_id, zone_id).model_dump(mode="json"), patch)
            try:
                zone = ZoneConfig.model_validate(merged)
            except ValidationError as exc:
                raise ConfigRejected(validation_issues(exc, merged, ["body"])) from exc
            return self.replace_zone(actor, camera_id, zone_id, zone)

    def delete_zone(self, actor: str, camera_id: str, zone_id: str) -> None:
        def edit(data: dict[str, Any]) -> None:
            zones = data["cameras"][_index(data["cameras"], camera_id, "camera")]["zones"]
            del zones[_index(zones, zone_id, "zone")]

        self._change(actor, ("cameras", camera_id, "zones", zone_id), edit, lambda cfg: None)

    def put_schedule(self, actor: str, name: str, schedule: ScheduleConfig) -> ScheduleConfig:
        def edit(data: dict[str, Any]) -> None:
            data["schedules"][name] = schedule.model_dump(mode="json")

        return self._change(actor, ("schedules", name), edit, lambda cfg: cfg.schedules[name])

    def delete_schedule(self, actor: str, name: str) -> None:
        def edit(data: dict[str, Any]) -> None:
            if data["schedules"].pop(name, None) is None:
                raise ConfigNotFound(f"no schedule {name!r}")

        self._change(actor, ("schedules", name), edit, lambda cfg: None)

    def _change(
        self, actor: str, path: Path, edit: Callable[[dict[str, Any]], None], pick: Callable[[Any], Any]
    ) -> Any:
        """Edit a JSON copy, validate the whole, apply, persist + audit; returns ``pick(new config)``."""
        what = ".".join(path)
        with self._lock:
            old_config = self.config
            data = as_json(old_config)
            edit(data)
            new_config = validate_config(data, self._class_names)
            if not any(c.enabled for c in new_config.cameras):  # the runtime (and a restart) needs one
                raise ConfigRejected([issue(["cameras"], "at least one camera must stay enabled")])
            if self._apply is not None:
                try:
                    self._apply(new_config)
                except ValueError as exc:  # e.g. an unknown sample clip: refused before anything changed
                    raise ConfigRejected([issue(path, str(exc))]) from exc
            try:
                old, new = _dump(_value_at(old_config, path)), _dump(pick(new_config))
                save_running_config(
                    self._sessions, self.base_hash, as_json(new_config), actor=actor, what=what, old=old, new=new
                )
            except Exception:
                if self._apply is not None:  # not persisted: do not keep running what a restart would lose
                    self._apply(old_config)
                raise
            self.config = new_config
        for listener in self.listeners:
            listener(new_config)
        return pick(new_config)


def _index(items: list[dict[str, Any]], item_id: str, kind: str) -> int:
    for i, item in enumerate(items):
        if item.get("id") == item_id:
            return i
    raise ConfigNotFound(f"no {kind} {item_id!r}")


def _camera(config: GatewatchConfig, camera_id: str) -> CameraConfig:
    return next(c for c in config.cameras if c.id == camera_id)


def _zone(config: GatewatchConfig, camera_id: str, zone_id: str) -> ZoneConfig:
    return next(z for z in _camera(config, camera_id).zones if z.id == zone_id)


def _value_at(config: GatewatchConfig, parts: Path) -> Any:
    """The current value at ``cameras.<id>[.zones.<id>]`` or ``schedules.<name>``; None when absent."""
    try:
        if parts[0] == "schedules":
            return config.schedules.get(parts[1])
        if len(parts) == 2:
            return _camera(config, parts[1])
        return _zone(config, parts[1], parts[3])
    except StopIteration:
        return None


def _dump(value: Any) -> Any:
    """JSON for the audit log; camera passwords stay out of it (the audit is a log, not a backup)."""
    if value is None:
        return None
    data = value.model_dump(mode="json")
    if isinstance(value, CameraConfig):
        redact_camera(data)
    return data
