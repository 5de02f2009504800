"""Which webhook targets gatewatch may POST to: public addresses only, unless a setting allows private ones.

A webhook URL is chosen by an admin key, but the requests come from the server: without a policy a
stolen or careless admin key turns gatewatch into a probe of its own host (loopback services, cloud
metadata at 169.254.169.254) and of the private network behind it. Loopback, link-local, private,
shared (CGNAT), multicast, unspecified and reserved addresses are refused unless
``GATEWATCH_WEBHOOK_ALLOW_PRIVATE_TARGETS`` is on (an alarm receiver on the campus LAN needs it).

The host is resolved and every address it resolves to is checked, at subscription and again before each
delivery (a name can be re-pointed later). A name that resolves differently between that check and
httpx's own lookup (DNS rebinding within a second) is not covered.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}


def _refused_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def target_problem(url: str, *, allow_private: bool) -> str | None:
    """Why gatewatch must not POST to ``url`` under the policy, or None when it may."""
    try:
        parts = urlsplit(url)
        port = parts.port or DEFAULT_PORTS.get(parts.scheme)
    except ValueError as exc:
        return f"not a valid URL: {exc}"
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return "expected an http:// or https:// URL with a host"
    if allow_private:
        return None
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        return f"cannot resolve host {parts.hostname!r}: {exc}"
    refused = sorted({str(info[4][0]) for info in infos if _refused_address(str(info[4][0]))})
    if refused:
        return (
            f"host {parts.hostname!r} is a loopback, link-local or private address ({', '.join(refused)}); "
            "set GATEWATCH_WEBHOOK_ALLOW_PRIVATE_TARGETS=true to allow such targets"
        )
    return None
