"""Reading the TOML manifests (models, sample clips): parsed, validated, and every failure names the file."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from gatewatch.vision.errors import UserError

M = TypeVar("M", bound=BaseModel)


def read_manifest(path: Path, model: type[M], error: type[UserError], what: str) -> M:
    """``path`` as ``model``; an unreadable, malformed or invalid file raises ``error`` naming ``what`` and path."""
    try:
        with path.open("rb") as handle:
            return model.model_validate(tomllib.load(handle))
    except (OSError, tomllib.TOMLDecodeError, ValidationError) as exc:
        raise error(f"{what} {path}: {exc}") from exc
