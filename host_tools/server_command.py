"""`doorctl server`: run the district server, or create a user and print a token.

For the CLI to wire in: append `register` to host_tools.commands.REGISTRY
(it adds the `server` subparser and sets func=server_command).

`server_command(args)` returns an exit status and raises DoorctlError for a
user mistake (bad database URL, missing secret file, taken login).
"""

from __future__ import annotations

import argparse

from host_tools.errors import DoorctlError

SERVER_HELP = "run the district server (registry, real-name cards, card lists)"
SERVER_DESCRIPTION = (
    "Run the district server's HTTP API. With no options it keeps a SQLite file in the "
    "user's data directory; pass --database (or DOORCTL_DATABASE_URL) for PostgreSQL. "
    "`--create-user LOGIN` adds a district user and prints a bearer token instead of serving. "
    "See docs/server.md.")


def add_server_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8600, help="TCP port (default 8600)")
    parser.add_argument("--database", default=None, metavar="URL",
                        help="SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db "
                             "(default: DOORCTL_DATABASE_URL, else a SQLite file)")
    parser.add_argument("--create-user", metavar="LOGIN", default=None,
                        help="create a district-level user, print a token and exit")
    parser.add_argument("--token-hours", type=int, default=12,
                        help="lifetime of the printed token (default 12)")


def register(sub) -> argparse.ArgumentParser:
    """Add `doorctl server` to the CLI's subparsers."""
    parser = sub.add_parser("server", help=SERVER_HELP, description=SERVER_DESCRIPTION)
    add_server_arguments(parser)
    parser.set_defaults(func=server_command)
    return parser


def server_command(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import ArgumentError, OperationalError

    from server.errors import ServerError
    from server.secrets import SecretError

    try:
        if args.create_user:
            print(create_district_user(args.database, args.create_user, args.token_hours))
            return 0
        from server.app import run_server
        run_server(host=args.host, port=args.port, database_url=args.database)
        return 0
    except (ArgumentError, OperationalError) as exc:
        raise DoorctlError(f"cannot open the server's database: {exc.__class__.__name__}: "
                           f"{str(exc).splitlines()[0]}; check --database") from None
    except SecretError as exc:
        raise DoorctlError(f"{exc}; set DOORCTL_SERVER_SECRET_FILE") from None
    except ServerError as exc:
        raise DoorctlError(exc.message) from None


def create_district_user(database_url: str | None, login: str, token_hours: int) -> str:
    """Bootstrap: a district user and a token for them (the first user has no one to ask)."""
    from server import access
    from server.app import create_app
    from server.areas import Area
    from server.db import session_scope
    from server.seed import load_programme_district

    app = create_app(database_url)
    context = app.state.context
    with session_scope(context.engine) as session:
        district = load_programme_district(session)
        user = access.create_user(session, None, login, "district", Area(district.id))
        token = access.issue_token(context.secrets.token_signing, user, token_hours * 3600)
    context.engine.dispose()
    return token


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry (python -m host_tools.server_command) until the CLI wires it."""
    parser = argparse.ArgumentParser(prog="doorctl server", description=SERVER_DESCRIPTION)
    add_server_arguments(parser)
    try:
        return server_command(parser.parse_args(argv))
    except DoorctlError as exc:
        print(f"doorctl: {exc}")
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
