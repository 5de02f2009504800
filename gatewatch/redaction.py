"""Credentials out of camera and webhook URLs, and out of texts that may quote them (errors, logs).

Every form a camera or webhook URL carries a secret in is covered: userinfo (``user:pass@``, also with
spaces, ``/``, ``@`` or ``:`` inside the password, and a bare token as the user name), and query or
fragment parameters whose name looks like a credential (password, pass, pwd, token, key, secret, auth,
signature, ...), in any position. Redaction errs on the side of hiding: an ``@`` anywhere after the
scheme is taken as the end of userinfo, the way FFmpeg's URL splitter reads passwords with a raw ``@``.

Regular expressions, not ``urllib.parse``: that raises on malformed URLs (``rtsp://[x``), which a
configured source may well be, and showing a camera must never fail.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

MASK = "***"
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_SECRET_NAME = re.compile(r"pass|pwd|token|key|secret|auth|sig|credential|session|cookie|apikey", re.IGNORECASE)
_PARAM = re.compile(r"([?&;#])([^=&;#?]*)=([^&;#]*)")
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>]+")
_UNSAFE_USER = re.compile(r"[\s/?#]")
MIN_SECRET_CHARS = 3  # shorter "secrets" would mask every digit in an error message


def _redact_params(text: str) -> str:
    def masked(match: re.Match[str]) -> str:
        sep, name, value = match.groups()
        if value and _SECRET_NAME.search(unquote(name)):
            return f"{sep}{name}={MASK}"
        return match.group(0)

    return _PARAM.sub(masked, text)


def redact_url(url: str) -> str:
    """``url`` with the password (or a bare user token) and credential-like parameters replaced by ``***``."""
    scheme = _SCHEME.search(url)
    if scheme is None:
        return _redact_params(url)
    head, rest = url[: scheme.end()], url[scheme.end() :]
    at = rest.rfind("@")
    if at >= 0:
        user, has_password, _ = rest[:at].partition(":")
        shown = f"{user}:{MASK}" if has_password and user and not _UNSAFE_USER.search(user) else MASK
        rest = f"{shown}@{rest[at + 1 :]}"
    return head + _redact_params(rest)


def url_secrets(url: str) -> list[str]:
    """The secret parts of ``url`` as written and percent-decoded, longest first (for scrubbing texts)."""
    found: list[str] = []
    scheme = _SCHEME.search(url)
    rest = url[scheme.end() :] if scheme else url
    at = rest.rfind("@") if scheme else -1
    if at >= 0:
        userinfo = rest[:at]
        _user, has_password, password = userinfo.partition(":")
        found += [password, userinfo] if has_password else [userinfo]
        rest = rest[at + 1 :]
    for _, name, value in _PARAM.findall(rest):
        if value and _SECRET_NAME.search(unquote(name)):
            found.append(value)
    found += [unquote(s) for s in found]
    return sorted({s for s in found if len(s) >= MIN_SECRET_CHARS}, key=len, reverse=True)


def scrub_text(text: str, *urls: str) -> str:
    """``text`` (an error message, say) with the given URLs' secrets and any URL's credentials masked."""
    for url in urls:
        text = text.replace(url, redact_url(url))
        for secret in url_secrets(url):
            text = text.replace(secret, MASK)
    return _URL_IN_TEXT.sub(lambda m: redact_url(m.group(0)), text)
