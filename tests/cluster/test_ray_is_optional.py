"""Ray is the ``ray`` extra's: only gatewatch/cluster/ imports it, and the single-machine product never loads it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.assets import REPO
from tests.test_layers import _imports

CLUSTER = REPO / "gatewatch" / "cluster"


@pytest.mark.unit
def test_only_the_cluster_package_imports_ray() -> None:
    sources = [p for folder in ("vision", "streams", "gatewatch", "api") for p in (REPO / folder).rglob("*.py")]
    assert any(p.is_relative_to(CLUSTER) for p in sources)
    outside = [
        f"{p.relative_to(REPO)}: {name}"
        for p in sources
        if not p.is_relative_to(CLUSTER)
        for name in _imports(p)
        if name.split(".")[0] == "ray" or (name.startswith("gatewatch.cluster") and name != "gatewatch.cluster.cli")
    ]
    assert outside == []


def test_the_cli_and_the_service_load_without_ray() -> None:
    code = (
        "import sys, contextlib, io\n"
        "import gatewatch.service, gatewatch.run_live\n"
        "from gatewatch.cli import main\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['cluster', 'run', '--help'])\n"
        "print(sorted(m for m in sys.modules if m == 'ray' or m.startswith('ray.')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip() == "[]"
