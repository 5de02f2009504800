"""Package data: this folder installs as gatewatch.packaged.sample_videos (see gatewatch/packaged/__init__.py)."""
