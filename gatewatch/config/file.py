"""Load the YAML config file and report every problem with its field path and YAML line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from gatewatch.config.schema import GatewatchConfig
from gatewatch.vision.errors import UserError


@dataclass(frozen=True, slots=True)
class ConfigIssue:
    path: str  # e.g. cameras.0.zones.1.polygon
    message: str
    line: int | None  # 1-based line in the YAML file

    def __str__(self) -> str:
        where = f" (line {self.line})" if self.line else ""
        return f"{self.path or '<root>'}{where}: {self.message}"


class ConfigError(UserError):
    def __init__(self, source: str, issues: list[ConfigIssue]) -> None:
        self.source = source
        self.issues = issues
        super().__init__(f"{source}: {len(issues)} problem(s)\n" + "\n".join(f"  {i}" for i in issues))


def _line_index(
    node: yaml.Node, prefix: tuple[Any, ...], index: dict[tuple[Any, ...], int], dupes: list[ConfigIssue]
) -> None:
    index[prefix] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                dupes.append(
                    ConfigIssue(".".join(map(str, (*prefix, key))), "key appears twice", key_node.start_mark.line + 1)
                )
            seen.add(key)
            _line_index(value_node, (*prefix, key), index, dupes)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _line_index(item, (*prefix, i), index, dupes)


def _line_for(loc: tuple[Any, ...], index: dict[tuple[Any, ...], int]) -> int | None:
    # Pydantic may point below what the YAML has (a missing key): fall back to the nearest parent.
    for cut in range(len(loc), -1, -1):
        line = index.get(tuple(loc[:cut]))
        if line is not None:
            return line
    return None


LineIndex = dict[tuple[Any, ...], int]


def parse_config(text: str, source: str = "<config>") -> GatewatchConfig:
    return parse_config_lines(text, source)[0]


def parse_config_lines(text: str, source: str = "<config>") -> tuple[GatewatchConfig, LineIndex]:
    """The config and the YAML line of every key and list item (by path), for later checks' messages."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise ConfigError(source, [ConfigIssue("", f"invalid YAML: {exc.problem}", line)]) from exc
    if not isinstance(data, dict) or node is None:
        raise ConfigError(source, [ConfigIssue("", "expected a mapping with a 'cameras' list at the top", 1)])
    index: dict[tuple[Any, ...], int] = {}
    dupes: list[ConfigIssue] = []
    _line_index(node, (), index, dupes)
    if dupes:
        raise ConfigError(source, dupes)
    try:
        return GatewatchConfig.model_validate(data), index
    except ValidationError as exc:
        issues = [issue_at(*_located(err, data), index) for err in exc.errors(include_url=False)]
        raise ConfigError(source, issues) from exc


def issue_at(loc: tuple[Any, ...], message: str, index: LineIndex) -> ConfigIssue:
    return ConfigIssue(".".join(map(str, loc)), message, _line_for(loc, index))


def _located(err: Any, data: dict[str, Any]) -> tuple[tuple[Any, ...], str]:
    """The error's path and message; a whole-config check names ``cameras.<id>.zones.<id>...`` in its message."""
    loc, message = tuple(err["loc"]), str(err["msg"])
    where, _, rest = message.removeprefix("Value error, ").partition(": ")
    if loc or not where.startswith("cameras.") or not rest:
        return loc, message
    return locate(where, data), rest


def locate(dotted: str, data: dict[str, Any]) -> tuple[Any, ...]:
    """``cameras.<camera id>.zones.<zone id>.<rest>`` as list indices, to find its line (ids may hold dots)."""
    cameras = data.get("cameras")
    for i, camera in enumerate(cameras if isinstance(cameras, list) else []):
        prefix = f"cameras.{camera.get('id')}." if isinstance(camera, dict) else None
        if prefix is None or not dotted.startswith(prefix):
            continue
        rest = dotted.removeprefix(prefix)
        if not rest.startswith("zones."):
            return ("cameras", i, *rest.split("."))
        zones = camera.get("zones")
        for j, zone in enumerate(zones if isinstance(zones, list) else []):
            zone_prefix = f"zones.{zone.get('id')}" if isinstance(zone, dict) else None
            if zone_prefix is not None and (rest == zone_prefix or rest.startswith(zone_prefix + ".")):
                return ("cameras", i, "zones", j, *[p for p in rest.removeprefix(zone_prefix).split(".") if p])
        return ("cameras", i, *rest.split("."))
    return tuple(dotted.split("."))


def read_config_text(path: Path) -> str:
    """The file's text; a binary or non-UTF-8 file is a ConfigError naming the file and the byte."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(str(path), [ConfigIssue("", f"cannot read file: {exc.strerror}", None)]) from exc
    if b"\0" in raw:
        at = raw.index(b"\0")
        message = f"not a YAML text file: binary data (a NUL byte at offset {at})"
        raise ConfigError(str(path), [ConfigIssue("", message, None)])
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        message = f"not a UTF-8 text file: byte 0x{raw[exc.start]:02x} at offset {exc.start} cannot be decoded"
        raise ConfigError(str(path), [ConfigIssue("", message, line)]) from exc


def load_config(path: Path) -> GatewatchConfig:
    return parse_config(read_config_text(path), str(path))
