"""One error base: every error class gatewatch defines derives from GatewatchError, and the CLI prints
user errors as one line while a bug keeps its traceback."""

from __future__ import annotations

import argparse
import importlib
import inspect
import pkgutil

import pytest

import gatewatch
import gatewatch.api
import gatewatch.streams
import gatewatch.vision
from gatewatch import cli
from gatewatch.vision.errors import GatewatchError, InvalidValue, UserError


def _error_classes() -> list[type[BaseException]]:
    found = []
    packages = (gatewatch, gatewatch.vision, gatewatch.streams, gatewatch.api)  # the layers: folders of their own
    modules = [info for package in packages for info in pkgutil.walk_packages(package.__path__, package.__name__ + ".")]
    for info in modules:
        if ".bench.ceilings" in info.name or ".bench.trial" in info.name:
            continue  # subprocess entry points: importing them is fine, but they add no error classes
        module = importlib.import_module(info.name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, BaseException) and obj.__module__ == module.__name__:
                found.append(obj)
    return found


@pytest.mark.unit
def test_every_error_class_derives_from_the_one_base() -> None:
    classes = _error_classes()
    assert len(classes) >= 20  # the walk really found the project's errors
    assert [c.__qualname__ for c in classes if not issubclass(c, GatewatchError)] == []


@pytest.mark.unit
def test_a_refused_value_is_a_user_error_and_still_a_value_error() -> None:
    assert issubclass(InvalidValue, UserError) and issubclass(InvalidValue, ValueError)


def _run(monkeypatch: pytest.MonkeyPatch, error: Exception) -> int:
    def command(_args: argparse.Namespace) -> int:
        raise error

    monkeypatch.setattr(cli, "_cmd_models", command)  # what `gatewatch models list` runs
    return cli.main(["models", "list"])


@pytest.mark.unit
def test_cli_prints_a_user_error_without_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(monkeypatch, InvalidValue("cameras.gate.zones: bad")) == cli.EXIT_ERROR
    assert capsys.readouterr().err == "gatewatch: error: cameras.gate.zones: bad\n"


@pytest.mark.unit
def test_cli_lets_a_bug_raise(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="a slip in the code"):
        _run(monkeypatch, ValueError("a slip in the code"))
