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


def parse_config(text: str, source: str = "<config>") -> GatewatchConfig:
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
        return GatewatchConfig.model_validate(data)
    except ValidationError as exc:
        issues = [
            ConfigIssue(".".join(map(str, err["loc"])), err["msg"], _line_for(tuple(err["loc"]), index))
            for err in exc.errors(include_url=False)
        ]
        raise ConfigError(source, issues) from exc


def load_config(path: Path) -> GatewatchConfig:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(str(path), [ConfigIssue("", f"cannot read file: {exc.strerror}", None)]) from exc
    return parse_config(text, str(path))
