"""The built wheel works on its own: installed into a fresh venv outside the checkout, run from elsewhere.

Guards the packaging: one ``gatewatch`` package (no top-level ``api``/``vision``/``streams``), the
manifests, clip contracts and console files shipped as package data, and no path guessed from where
a repository might be.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.assets import REPO

UNSHIPPED = (".git", ".venv*", "build", "dist", "data", "out", ".cache", "__pycache__", "*.egg-info")
SHIPPED_WEIGHTS = "yolox_nano_weapon.onnx"  # the one model this project trains; downloaded ones stay out
# What setuptools says of a data folder it would leave out of the wheel (one not listed as a package).
LEFT_OUT = "is absent from the `packages` configuration"
CONFIG = """\
detector: {model: yolox_nano, detection_fps: 2}
cameras:
  - id: street
    source: mot17-04-excerpt.mp4
    zones:
      - id: all
        polygon: [[0, 0], [1, 0], [1, 1], [0, 1]]
        crowding: {min_count: 3, min_duration_s: 1}
"""


def _unshipped(folder: str, names: list[str]) -> set[str]:
    """The checkout's files a wheel must not hold, for copytree: in models/weights, all but the shipped model."""
    ignored = set(shutil.ignore_patterns(*UNSHIPPED)(folder, names))
    if Path(folder).parts[-2:] == ("models", "weights"):
        ignored |= {name for name in names if name != SHIPPED_WEIGHTS}
    return ignored


def _run(argv: list[str], cwd: Path, timeout_s: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout_s, check=False)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # From a copy: setuptools builds in the source tree's build/, where files of removed modules would linger.
    source = tmp_path_factory.mktemp("source") / "gatewatch"
    shutil.copytree(REPO, source, ignore=_unshipped)
    out = tmp_path_factory.mktemp("dist")
    # -v: the build backend's warnings are shown only then.
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-v", "-w", str(out), str(source)], out)
    assert built.returncode == 0, built.stderr
    assert LEFT_OUT not in built.stdout + built.stderr, [
        line for line in (built.stdout + built.stderr).splitlines() if LEFT_OUT in line
    ]
    (path,) = out.glob("gatewatch-*.whl")
    return path


@pytest.fixture(scope="module")
def venv_python(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with only the wheel installed. Its dependencies come from the test venv through a .pth
    line (added paths get no .pth processing, so the test venv's editable checkout stays out of it):
    the test checks the package, not PyPI, and needs no download."""
    venv = tmp_path_factory.mktemp("venv")
    assert _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], venv).returncode == 0
    python = venv / "bin" / "python"
    site = Path(
        _run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], venv).stdout.strip()
    )
    (site / "test_venv_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n", encoding="utf-8")
    installed = _run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q", str(wheel)], venv
    )
    assert installed.returncode == 0, installed.stderr
    return python


def test_wheel_holds_one_package_and_its_data(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/")[0] for name in names if not name.startswith("gatewatch-")}
    assert top == {"gatewatch"}
    for data in (
        "gatewatch/packaged/models/manifest.toml",
        "gatewatch/packaged/sample_videos/manifest.toml",
        "gatewatch/packaged/sample_videos/vtest.expected.json",
        "gatewatch/packaged/sample_videos/demo.yaml",
        "gatewatch/api/console/static/index.html",
        "gatewatch/api/console/static/console.css",
        "gatewatch/api/console/static/js/main.js",
        "gatewatch/api/console/static/js/i18n/zh-CN.js",
    ):
        assert data in names
    # Downloaded weights are never shipped, only the model this project trains itself.
    assert [name for name in names if name.endswith(".onnx")] == [
        f"gatewatch/packaged/models/weights/{SHIPPED_WEIGHTS}"
    ]


def test_installed_cli_lists_models_validates_and_analyzes(venv_python: Path, tmp_path: Path) -> None:
    gatewatch = [str(venv_python), "-m", "gatewatch.cli"]
    where = _run([str(venv_python), "-c", "import gatewatch.vision; print(gatewatch.vision.__file__)"], tmp_path)
    assert where.stdout.startswith(str(venv_python.parents[1])), where.stdout + where.stderr  # not the checkout

    models = _run([*gatewatch, "models", "list"], tmp_path)
    assert models.returncode == 0, models.stderr
    assert "yolox_nano" in models.stdout and "yolov8n_int8" in models.stdout

    config = tmp_path / "street.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    valid = _run([*gatewatch, "config", "validate", str(config)], tmp_path)
    assert valid.returncode == 0 and "OK (1 camera(s), 1 zone(s), model yolox_nano with 80 classes)" in valid.stdout, (
        valid.stderr
    )

    clip = Path(os.environ["GATEWATCH_SAMPLES_DIR"]) / "mot17-04-excerpt.mp4"  # tests/conftest.py sets it
    analyzed = _run([*gatewatch, "analyze", str(clip), "--config", str(config), "--out", "out", "--no-video"], tmp_path)
    assert analyzed.returncode == 0, analyzed.stderr
    assert (tmp_path / "out" / "summary.json").is_file() and (tmp_path / "out" / "events.jsonl").is_file()
    assert not (REPO / "out" / "summary.json").exists()
