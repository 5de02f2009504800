"""Package data: this folder installs as gatewatch.packaged.models (see gatewatch/packaged/__init__.py)."""
