"""The console's static files: all of them ship in the package, and both languages have every string."""

from __future__ import annotations

import fnmatch
import re
import tomllib
from pathlib import Path

from gatewatch.api.console import STATIC_DIR
from tests.assets import REPO

JS_DIR = STATIC_DIR / "js"
KEY = re.compile(r'^\s*"([a-z_]+\.[a-z_.]+)":', re.MULTILINE)
# t("feed.title") and template keys with a literal prefix, e.g. t(`type.${item.type}`)
USED = re.compile(r'\bt\(\s*"([a-z_]+\.[a-z_.]+)"')


def table_keys(name: str) -> set[str]:
    return set(KEY.findall((JS_DIR / "i18n" / name).read_text(encoding="utf-8")))


def test_every_console_file_is_package_data() -> None:
    # Each static folder is a package of its own (pyproject package-data, one entry per folder).
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    package_data = pyproject["tool"]["setuptools"]["package-data"]
    files = [p.relative_to(STATIC_DIR.parent) for p in STATIC_DIR.rglob("*") if p.is_file()]
    assert len(files) > 10
    missing = [
        f.as_posix()
        for f in files
        if not any(
            fnmatch.fnmatch(f.name, pattern)
            for pattern in package_data.get(".".join(("gatewatch.api.console", *f.parent.parts)), [])
        )
    ]
    assert missing == [], f"not installed with the package: {missing} (pyproject package-data)"


def test_both_languages_have_every_string_the_scripts_use() -> None:
    english, chinese = table_keys("en.js"), table_keys("zh-CN.js")
    assert english == chinese, f"only in en: {english - chinese}; only in zh-CN: {chinese - english}"
    used = {key for path in JS_DIR.glob("*.js") for key in USED.findall(path.read_text(encoding="utf-8"))}
    assert len(used) > 50
    assert used <= english, f"strings without a translation: {sorted(used - english)}"


def test_no_markup_from_data_and_nothing_from_other_origins() -> None:
    sources = {path.name: path.read_text(encoding="utf-8") for path in Path(STATIC_DIR).rglob("*.*")}
    # Server data reaches the page only through textContent (see dom.js), never as HTML.
    assert not [name for name, text in sources.items() if "innerHTML" in text or "insertAdjacentHTML" in text]
    assert not [name for name, text in sources.items() if re.search(r"(src|href)=\"https?://|url\(https?:", text)]
