"""Package list for the one ``gatewatch.*`` namespace (everything else is in pyproject.toml).

The layers keep their own top-level folders (``vision/``, ``streams/``, ``api/``) but install and import
under ``gatewatch.``: setuptools' ``package_dir`` maps each prefix to its folder. pyproject.toml cannot
compute the sub-package names under a mapped prefix, so they are found here, and a new sub-package needs
no edit anywhere.
"""

from setuptools import find_packages, setup

LAYERS = {"gatewatch.vision": "vision", "gatewatch.streams": "streams", "gatewatch.api": "api"}
# Data folders that stay at the top level, shipped as package data (see gatewatch/packaged/__init__.py).
DATA = {"gatewatch.packaged.models": "models", "gatewatch.packaged.sample_videos": "sample_videos"}

packages = find_packages(include=["gatewatch", "gatewatch.*"])
for name, folder in LAYERS.items():
    packages += [name, *(f"{name}.{sub}" for sub in find_packages(folder))]

setup(packages=[*packages, *DATA], package_dir={**LAYERS, **DATA})
