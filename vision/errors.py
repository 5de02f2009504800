"""The base of every error gatewatch raises on purpose, and the line between user errors and bugs.

Front ends (the CLI, the HTTP API) show a ``UserError``'s message without a traceback: it was caused by
something the user controls (a config file, a setting, a clip, a model file, a URL, a request) and its
message names what to fix. Anything else that escapes is a bug and keeps its traceback, a bare
ValueError or KeyError from a slip in the code included.

It lives in the lowest layer (gatewatch.vision) so every layer above can derive from it.
"""

from __future__ import annotations


class GatewatchError(Exception):
    """Raised on purpose by gatewatch; not necessarily the user's doing (see ``UserError``)."""


class UserError(GatewatchError):
    """Caused by what the user controls; the message says what to fix, shown without a traceback."""


class InvalidValue(UserError, ValueError):
    """A value the user gave is refused (naming its field). Also a ValueError, as pydantic validators
    and the live-config code expect of a refused value."""
