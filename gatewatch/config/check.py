"""The config file checked as ``serve`` runs it: one code path for ``config validate``, ``serve`` and ``analyze``.

Beyond the schema (gatewatch.config.file), serve needs the detector model named in the manifest and every
rule's class names among that model's classes, schedules defined, zones buildable: it builds one
analyzer per camera, which is what is done here, with the same class names. Every problem comes
back with its path (``cameras.<i>.zones.<j>...``) and YAML line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from gatewatch.assets.models import Manifest, ModelStoreError, load_detector, load_manifest
from gatewatch.config.file import (
    ConfigError,
    ConfigIssue,
    issue_at,
    locate,
    parse_config_lines,
    read_config_text,
)
from gatewatch.config.schema import GatewatchConfig
from gatewatch.config.settings import Settings
from gatewatch.streams.runtime import build_analyzer


@dataclass(frozen=True, slots=True)
class CheckedConfig:
    config: GatewatchConfig
    class_names: list[str]  # the detector model's classes, as serve will have them


def check_config_file(path: Path, settings: Settings) -> CheckedConfig:
    """Read, parse and check ``path`` against the model manifest; raises ConfigError listing every problem."""
    text = read_config_text(path)
    config, lines = parse_config_lines(text, str(path))
    manifest = load_manifest(settings.manifest)
    try:
        class_names = model_classes(config, manifest, settings)
    except ModelStoreError as exc:
        raise ConfigError(str(path), [issue_at(("detector", "model"), str(exc), lines)]) from exc
    data = config.model_dump(include={"cameras"})  # same order as the file: list indices for the lines
    issues: list[ConfigIssue] = []
    for camera in config.cameras:
        try:
            build_analyzer(camera, config, class_names)
        except ValueError as exc:  # "cameras.<id>.zones.<zone>.<rule>.<field>: unknown class name(s) ..."
            where, _, message = str(exc).partition(": ")
            issues.append(issue_at(locate(where, data), message or str(exc), lines))
    if issues:
        raise ConfigError(str(path), issues)
    return CheckedConfig(config, class_names)


def model_classes(config: GatewatchConfig, manifest: Manifest, settings: Settings) -> list[str]:
    """The detector's class names: from the manifest, or (for models that carry them) from the loaded model."""
    entry = manifest.entry(config.detector.model)
    listed: Sequence[str] | None = entry.class_names
    if listed is not None:
        return list(listed)
    detector = load_detector(config.detector, settings.models_dir, settings.weights_dir, manifest)
    return list(detector.class_names)
