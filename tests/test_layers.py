"""Imports flow one way: gatewatch.vision <- gatewatch.streams <- gatewatch <- gatewatch.api.

Read from the source (ast), so a lazy import inside a function counts too. Only the CLI's serve command
(gatewatch/serve.py) reaches into the HTTP layer, to start the server; nothing below it imports FastAPI.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.assets import REPO

pytestmark = pytest.mark.unit

# folder -> the gatewatch.* namespaces its modules may import (gatewatch/: all but gatewatch.api)
ALLOWED = {
    "vision": ("gatewatch.vision",),
    "streams": ("gatewatch.vision", "gatewatch.streams"),
    "gatewatch": ("gatewatch",),
    "api": ("gatewatch",),
}
SERVER_STARTER = REPO / "gatewatch" / "serve.py"


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def _within(name: str, namespace: str) -> bool:
    return name == namespace or name.startswith(namespace + ".")


def _sources(folder: str) -> list[Path]:
    return sorted((REPO / folder).rglob("*.py"))


def _allowed(folder: str, path: Path, name: str) -> bool:
    if not _within(name, "gatewatch"):
        return name.split(".")[0] not in ("api", "vision", "streams")  # the old top-level packages are gone
    if folder == "gatewatch":
        return not _within(name, "gatewatch.api") or path == SERVER_STARTER
    return any(_within(name, namespace) for namespace in ALLOWED[folder])


@pytest.mark.parametrize("folder", sorted(ALLOWED))
def test_imports_flow_one_way(folder: str) -> None:
    sources = _sources(folder)
    wrong = [f"{p.relative_to(REPO)}: {n}" for p in sources for n in _imports(p) if not _allowed(folder, p, n)]
    assert sources and wrong == []


def test_only_the_http_layer_imports_fastapi() -> None:
    below = [path for folder in ("vision", "streams", "gatewatch") for path in _sources(folder)]
    assert [str(p.relative_to(REPO)) for p in below if any(_within(n, "fastapi") for n in _imports(p))] == []


# The store and cluster benches drive the same real servers the tests start (PostgreSQL, a webhook receiver,
# a local Ray cluster): test harnesses that do not belong in the installed package. They are the only
# scripts allowed to use them, until the harnesses have a home.
USES_TEST_HARNESSES = {REPO / "bench" / "store_bench.py", REPO / "bench" / "cluster_bench.py"}


def test_product_and_bench_code_never_import_the_tests() -> None:
    """tests/ may import the package; the package, the bench scripts and the training code never import tests/."""
    sources = [p for folder in (*ALLOWED, "bench", "models") for p in _sources(folder) if p not in USES_TEST_HARNESSES]
    assert [f"{p.relative_to(REPO)}: {n}" for p in sources for n in _imports(p) if _within(n, "tests")] == []
