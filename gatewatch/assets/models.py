"""Model manifest (models/manifest.toml), sha256-checked model files, download, and detector loading."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PositiveInt,
    model_validator,
)

from gatewatch import packaged
from gatewatch.assets.downloads import FetchError, fetch_checked, sha256_of
from gatewatch.assets.manifest_files import read_manifest
from gatewatch.vision.analytics_config import DetectorConfig
from gatewatch.vision.detector import Detector, ModelError, ModelFormat, build_detector
from gatewatch.vision.detector.parallel import ParallelDetector

DEFAULT_MANIFEST = packaged.models_manifest()
DEFAULT_WEIGHTS_DIR = Path("models", "weights")  # in the current directory, as Settings.weights_dir's default
# Models this project trains itself ship with the package (models/weights/ in a checkout); they are found
# whatever GATEWATCH_MODELS_DIR and GATEWATCH_WEIGHTS_DIR say (the container keeps downloads in /data/weights).
BUNDLED_WEIGHTS_DIR = packaged.models_manifest().parent / "weights"


class ModelStoreError(ModelError):
    """A model is unknown, missing, or its file does not match the manifest's sha256."""


class ModelEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    file: str = Field(pattern=r"^[^/\\]+$", description="File name, looked up in the model directories.")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="Lower-case hex sha256 of the file.")
    url: str = Field("", pattern=r"^((https?|file)://\S+)?$", description="Download URL; empty when none exists.")
    how_to_get: str = Field("", description="How to obtain the file when there is no URL.")
    licence: str = Field(min_length=1)
    format: ModelFormat
    input_size: tuple[PositiveInt, PositiveInt] = Field(description="Model input [width, height].")
    classes: list[str] | Literal["metadata"] = Field(description="Class names by id, or read from ONNX metadata.")
    description: str = ""
    data_attribution: str = Field(
        "", description="Credit the training data's licence requires (e.g. CC BY 4.0), for models trained here."
    )

    @model_validator(mode="after")
    def _consistent(self) -> ModelEntry:
        if self.format == "yolox" and self.classes == "metadata":
            raise ValueError("yolox files carry no class names: classes must list them")
        if not self.url and not self.how_to_get:
            raise ValueError("give a url or, when there is no download, how_to_get")
        return self

    @property
    def class_names(self) -> list[str] | None:
        return None if self.classes == "metadata" else self.classes

    @property
    def how_to_obtain(self) -> str:
        return f"download it from {self.url}" if self.url else self.how_to_get


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    default: str
    models: dict[str, ModelEntry] = Field(min_length=1)

    @model_validator(mode="after")
    def _default_known(self) -> Manifest:
        if self.default not in self.models:
            raise ValueError(f"default {self.default!r} is not one of the models: {', '.join(self.models)}")
        return self

    def entry(self, name: str) -> ModelEntry:
        if name not in self.models:
            raise ModelStoreError(f"unknown model {name!r}; known models: {', '.join(sorted(self.models))}")
        return self.models[name]


@dataclass(frozen=True, slots=True)
class ResolvedModel:
    name: str
    entry: ModelEntry
    path: Path


@dataclass(frozen=True, slots=True)
class ModelStatus:
    name: str
    path: Path | None
    ok: bool
    message: str


def load_manifest(path: Path = DEFAULT_MANIFEST) -> Manifest:
    return read_manifest(path, Manifest, ModelStoreError, "model manifest")


def resolve_model(
    name: str,
    models_dir: Path | None,
    weights_dir: Path = DEFAULT_WEIGHTS_DIR,
    manifest: Manifest | None = None,
    download: bool = True,
) -> ResolvedModel:
    """The checked file of model ``name``: from ``models_dir`` first, then ``weights_dir``, then the
    committed ``models/weights``, else downloaded.

    The first file found decides: a wrong file in GATEWATCH_MODELS_DIR is an error, never silently skipped.
    """
    entry = (manifest or load_manifest()).entry(name)
    dirs = list(dict.fromkeys(d for d in (models_dir, weights_dir, BUNDLED_WEIGHTS_DIR) if d is not None))
    for path in (d / entry.file for d in dirs):
        if path.is_file():
            found = sha256_of(path)
            if found != entry.sha256:
                raise ModelStoreError(
                    f"model {name!r}: {path} has sha256 {found}, expected {entry.sha256} (corrupt, partial or a "
                    f"different export); replace it: {entry.how_to_obtain}"
                )
            return ResolvedModel(name, entry, path)
    if not entry.url or not download:
        raise ModelStoreError(
            f"model {name!r}: {entry.file} (sha256 {entry.sha256}) not found in {', '.join(map(str, dirs))}; "
            f"{entry.how_to_obtain}"
        )
    return ResolvedModel(name, entry, _download(name, entry, weights_dir))


def _download(name: str, entry: ModelEntry, weights_dir: Path) -> Path:
    try:
        return fetch_checked(entry.url, entry.sha256, weights_dir / entry.file)
    except FetchError as exc:
        raise ModelStoreError(
            f"model {name!r}: {exc}; put {entry.file} (sha256 {entry.sha256}) in {weights_dir} by hand"
        ) from exc


def verify_models(
    models_dir: Path | None, weights_dir: Path = DEFAULT_WEIGHTS_DIR, manifest: Manifest | None = None
) -> list[ModelStatus]:
    """One status per manifest model, checking files without downloading anything."""
    manifest = manifest or load_manifest()
    statuses = []
    for name in manifest.models:
        try:
            resolved = resolve_model(name, models_dir, weights_dir, manifest, download=False)
        except ModelStoreError as exc:
            statuses.append(ModelStatus(name, None, False, str(exc)))
        else:
            statuses.append(ModelStatus(name, resolved.path, True, "sha256 ok"))
    return statuses


def load_detector(
    detector_config: DetectorConfig,
    models_dir: Path | None,
    weights_dir: Path = DEFAULT_WEIGHTS_DIR,
    manifest: Manifest | None = None,
) -> Detector:
    resolved = resolve_model(detector_config.model, models_dir, weights_dir, manifest)
    entry = resolved.entry

    def build() -> Detector:
        return build_detector(
            resolved.path,
            entry.format,
            entry.input_size,
            entry.class_names,
            detector_config.confidence,
            detector_config.nms_iou,
            detector_config.threads,
            detector_config.device,
            name=resolved.name,
            batch=detector_config.batch,
        )

    if detector_config.workers == 1:
        return build()
    return ParallelDetector([build() for _ in range(detector_config.workers)])
