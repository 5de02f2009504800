"""The security-room console: static ES modules served by the API itself (no build step, no CDN).

``GET /`` is the page; its scripts, styles and language tables are under ``/console/``. The page talks to
the same API as every other client, with the HttpOnly login cookie, so it holds no privileges of its own.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).resolve().parent / "static"

# Everything the page loads comes from this origin; framing is refused (clickjacking on the ack buttons).
CSP = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def _index() -> FileResponse:
    # no-cache: a new release's page (and the module URLs it names) is picked up at the next load.
    headers = {"Content-Security-Policy": CSP, "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html", headers=headers)


def mount_console(app: FastAPI) -> None:
    """Serve the console at ``/`` and its assets at ``/console/`` (kept out of the OpenAPI schema)."""
    app.add_api_route("/", _index, methods=["GET"], include_in_schema=False)
    app.mount("/console", StaticFiles(directory=STATIC_DIR), name="console")
