"""``gatewatch serve`` (the HTTP API with the live pipeline) and ``gatewatch keys`` (API key admin).

Heavy imports (uvicorn, SQLAlchemy, the model runtime) happen inside the commands: ``gatewatch --help``
and the other subcommands stay fast.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gatewatch.config.settings import get_settings

EXIT_ERROR = 1
# Open SSE streams never end by themselves: give them this long at shutdown, then close them.
GRACEFUL_SHUTDOWN_S = 3


def _cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from gatewatch.api.app import create_app
    from gatewatch.config.check import check_config_file
    from gatewatch.service import Service

    settings = get_settings()
    checked = check_config_file(args.config, settings)  # the very check `gatewatch config validate` runs
    # Built here, once: uvicorn gets the app object (not an import string), so it cannot create a second
    # pipeline in a reloader or a worker process.
    service = Service(settings, checked.config, config_path=args.config)
    app = create_app(service, insecure_local=args.insecure_local)
    # proxy_headers off: the app trusts X-Forwarded-* only from GATEWATCH_FORWARDED_ALLOW_IPS (uvicorn's
    # own default would trust them from 127.0.0.1, and --insecure-local decides on the client address).
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        workers=1,
        proxy_headers=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
    )
    return 0


def _cmd_keys(args: argparse.Namespace) -> int:
    from gatewatch.store import (
        EventStore,
        Role,
        create_api_key,
        list_api_keys,
        revoke_api_key,
    )

    store = EventStore(get_settings().db_url)
    try:
        if args.action == "create":
            role: Role = args.role
            info, token = create_api_key(store.sessions, args.name or f"cli-{role}", role)
            print(f"created key {info.id} ({info.name}, {info.role}); it is shown only now:")
            print(token)
        elif args.action == "list":
            for info in list_api_keys(store.sessions):
                state = f"revoked {info.revoked_at:%Y-%m-%d %H:%M}" if info.revoked_at else "active"
                print(f"{info.id:5} {info.role:9} {state:24} {info.name}")
        elif not revoke_api_key(store.sessions, args.id):
            print(f"gatewatch: error: no active key {args.id}", file=sys.stderr)
            return EXIT_ERROR
        else:
            print(f"revoked key {args.id}")
        return 0
    finally:
        store.close()


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``serve`` and ``keys`` to the ``gatewatch`` command line."""
    serve_p = sub.add_parser("serve", help="run the HTTP API, the console and all cameras (one process)")
    serve_p.add_argument("--config", required=True, type=Path, help="YAML config (cameras, zones, rules)")
    serve_p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve_p.add_argument("--port", type=int, default=8080, help="port (default 8080)")
    serve_p.add_argument(
        "--insecure-local", action="store_true", help="keyless read access for requests from 127.0.0.1/::1"
    )
    serve_p.set_defaults(func=_cmd_serve)

    keys_p = sub.add_parser("keys", help="API keys: create (printed once), list, revoke")
    keys_sub = keys_p.add_subparsers(dest="action", required=True)
    create = keys_sub.add_parser("create", help="create a key and print it (only its hash is stored)")
    create.add_argument("--role", required=True, choices=["viewer", "operator", "admin", "alarm"])
    create.add_argument("--name", help="who or what uses it (default cli-<role>)")
    keys_sub.add_parser("list", help="list keys (id, role, state, name)")
    revoke = keys_sub.add_parser("revoke", help="revoke a key by id")
    revoke.add_argument("id", type=int)
    keys_p.set_defaults(func=_cmd_keys)
