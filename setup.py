"""Package list for the one ``gatewatch.*`` namespace (everything else is in pyproject.toml).

The layers keep their own top-level folders (``vision/``, ``streams/``, ``api/``) but install and import
under ``gatewatch.``: setuptools' ``package_dir`` maps each prefix to its folder. pyproject.toml cannot
compute the sub-package names under a mapped prefix, so they are found here, and a new sub-package needs
no edit anywhere.
"""

from setuptools import find_namespace_packages, find_packages, setup

LAYERS = {"gatewatch.vision": "vision", "gatewatch.streams": "streams", "gatewatch.api": "api"}
# Data folders that stay at the top level, shipped as package data (see gatewatch/packaged/__init__.py).
DATA = {"gatewatch.packaged.models": "models", "gatewatch.packaged.sample_videos": "sample_videos"}
# Folders of package data below a package, without an __init__.py: Python can import them (namespace
# packages), so setuptools wants them listed as packages too, or it warns that their files would be
# ignored. Listed here, their files are shipped by the globs in pyproject.toml's package-data.
DATA_FOLDERS = {
    "gatewatch.api.console": ("api/console", "static*"),
    "gatewatch.packaged.models": ("models", "weights"),
}

packages = find_packages(include=["gatewatch", "gatewatch.*"])
for name, folder in LAYERS.items():
    packages += [name, *(f"{name}.{sub}" for sub in find_packages(folder))]
for name, (folder, pattern) in DATA_FOLDERS.items():
    packages += [f"{name}.{sub}" for sub in find_namespace_packages(folder, include=[pattern])]

setup(packages=[*packages, *DATA], package_dir={**LAYERS, **DATA})
