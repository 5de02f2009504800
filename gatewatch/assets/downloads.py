"""Download a file by URL and keep it only if its sha256 matches: used for models and sample clips."""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import urllib.request
from pathlib import Path

from gatewatch.vision.errors import UserError

DOWNLOAD_TIMEOUT_S = 60.0

log = logging.getLogger(__name__)


class FetchError(UserError, OSError):
    """The download failed or produced a file with the wrong checksum; nothing was saved."""


def sha256_of(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()  # streams in chunks


def fetch_checked(url: str, sha256: str, target: Path) -> Path:
    """Fetch ``url`` into a temp file beside ``target``; rename only once the checksum matches."""
    log.info("downloading %s from %s", target.name, url)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, part = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    except OSError as exc:  # e.g. a read-only or foreign-owned cache folder
        raise FetchError(f"cannot write the download to {target.parent} ({exc})") from exc
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response:
            while chunk := response.read(1 << 20):
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != sha256:
            raise FetchError(
                f"download from {url} has sha256 {digest.hexdigest()}, expected {sha256}; nothing was saved"
            )
        os.replace(part, target)
        return target
    except FetchError:
        raise
    except OSError as exc:  # URLError and timeouts are OSErrors
        raise FetchError(f"could not download {url} ({exc})") from exc
    finally:
        Path(part).unlink(missing_ok=True)
