"""422 bodies that say where and why, and echo at most a short excerpt of what was sent.

FastAPI's default handler returns each error's whole ``input``: a 10 MB array sent to ``/auth/login`` came
back in full, and a NaN or a lone surrogate in it made the error response itself fail.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

EXCERPT_CHARS = 80
EXCERPT_ITEMS = 8
MESSAGE_CHARS = 300


def excerpt(value: Any) -> str | int | bool | float | None:
    """A scalar input as is when short; anything else as a clipped, ASCII-safe text."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, list | tuple):  # only the head: dumping a 3,000-point polygon to cut it is waste
        value = [*value[:EXCERPT_ITEMS], "..."] if len(value) > EXCERPT_ITEMS else value
    elif isinstance(value, dict) and len(value) > EXCERPT_ITEMS:
        value = dict([*list(value.items())[:EXCERPT_ITEMS], ("...", "...")])
    text = value if isinstance(value, str) else json.dumps(value, default=repr, ensure_ascii=True)
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")  # lone surrogates -> \udxxx
    return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS] + "..."


def _clip(text: str) -> str:
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= MESSAGE_CHARS else text[:MESSAGE_CHARS] + "..."


def short_issue(error: Mapping[str, Any]) -> dict[str, Any]:
    """``{loc, msg, type}`` plus an ``input`` excerpt where there was one; ``ctx`` and ``url`` are left out."""
    msg = str(error.get("msg", ""))
    reason = (error.get("ctx") or {}).get("error")
    if error.get("type") == "json_invalid" and reason:  # the parser's words: what and where (line, column)
        msg = f"{msg}: {reason}"
    issue: dict[str, Any] = {
        "loc": [part if isinstance(part, int) else _clip(str(part)) for part in error.get("loc", ())],
        "msg": _clip(msg),
        "type": str(error.get("type", "value_error")),
    }
    if "input" in error:
        issue["input"] = excerpt(error["input"])
    return issue


def short_issues(errors: Iterable[Mapping[str, Any]], limit: int = 50) -> list[dict[str, Any]]:
    """At most ``limit`` issues (a 10,000-item array with a bad item each is still a short answer)."""
    return [short_issue(e) for _, e in zip(range(limit), errors, strict=False)]


def request_validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return JSONResponse({"detail": short_issues(exc.errors())}, status_code=422)
