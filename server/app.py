"""The district server application: create_app() for tests and embedding, run_server() for the CLI.

    app = create_app("sqlite:////srv/doorctl/district.sqlite3")
    run_server(host="127.0.0.1", port=8600)      # what `doorctl server` calls

Start-up migrates the store to the latest schema and loads the programme's
district (its ten units), so a new server is usable at once.
"""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import db as store
from .api import admin, cardlists, events, imports, persons, registry
from .api.context import ServerContext
from .api.schemas import ErrorOut
from .bodylimit import BodyLimit
from .config import ServerSettings, data_dir
from .errors import ServerError
from .identity import IdentityVault
from .secrets import ServerSecrets, load_master_secret
from .seed import load_programme_district

log = logging.getLogger("doorctl.server")

_ERRORS = {status: {"model": ErrorOut, "description": text} for status, text in (
    (400, "malformed request"), (401, "missing, forged or expired token"),
    (403, "the caller's role may not do this"), (404, "no such record in the caller's area"),
    (409, "conflict with stored records"), (413, "request body too large"),
    (422, "invalid input"))}


def _load_secrets(settings: ServerSettings, secret: bytes | None) -> ServerSecrets:
    if secret is not None:
        return ServerSecrets.from_master(secret)
    if settings.secret_hex:
        return ServerSecrets.from_master(bytes.fromhex(settings.secret_hex))
    path = settings.secret_file or data_dir() / "server-secret.key"
    return ServerSecrets.from_master(load_master_secret(Path(path), create=settings.secret_file is None))


def _load_root_secret(settings: ServerSettings):
    if settings.root_secret_file is None:
        return None
    # The provisioning library owns the sealed-root format (docs/security.md).
    from provisioning.key_store import load_root
    if settings.root_key_file is not None:
        return load_root(settings.root_secret_file,
                         key_file_secret=Path(settings.root_key_file).read_bytes())
    return load_root(settings.root_secret_file, passphrase=settings.root_passphrase)


def create_app(database_url: str | None = None, *, secret: bytes | None = None,
               root_secret=None, settings: ServerSettings | None = None,
               seed: bool = True) -> FastAPI:
    """Build the app on a migrated store.

    secret: the server's master secret (default: DOORCTL_SERVER_SECRET(_FILE), else a
    file created in the data directory). root_secret: provisioning's root secret for
    door keys (default: DOORCTL_ROOT_SECRET_FILE; without it card lists answer 503).
    """
    settings = settings or ServerSettings.from_environment(database_url)
    engine = store.open_store(settings.database_url)
    if seed:
        with store.session_scope(engine) as session:
            load_programme_district(session)
    secrets = _load_secrets(settings, secret)
    context = ServerContext(settings=settings, engine=engine,
                            sessions=store.session_factory(engine), secrets=secrets,
                            vault=IdentityVault(secrets),
                            root_secret=root_secret if root_secret is not None
                            else _load_root_secret(settings))
    app = FastAPI(title="doorctl district server", version="1",
                  description="Registry of doors and residents, real-name cards, card lists, "
                              "three levels of access. Errors: {\"error\", \"detail\"}.",
                  responses=_ERRORS)
    app.state.context = context
    for module in (admin, registry, persons, cardlists, imports, events):
        app.include_router(module.router)
    _install_error_handlers(app)
    app.add_middleware(BodyLimit, default_limit=settings.json_body_limit,
                       large_limit=settings.import_body_limit, large_prefixes=("/imports/",))
    return app


def _error(status: int, error: str, detail=None, headers=None) -> JSONResponse:
    return JSONResponse({"error": error, "detail": detail}, status_code=status, headers=headers)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServerError)
    async def server_error(_request: Request, exc: ServerError):
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return _error(exc.status, exc.message, exc.detail, headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError):
        problems = [{"location": [str(p) for p in e.get("loc", ())], "reason": e.get("msg"),
                     "type": e.get("type")} for e in exc.errors()]
        if any(p["type"] == "json_invalid" for p in problems):
            return _error(400, "malformed JSON", problems)
        return _error(422, "invalid request", problems)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException):
        return _error(exc.status_code, str(exc.detail), None, getattr(exc, "headers", None))

    @app.exception_handler(IntegrityError)
    async def integrity_error(_request: Request, exc: IntegrityError):
        # A race lost against another request's insert: the library checks first.
        return _error(409, "conflict with a stored record", None)

    @app.exception_handler(DBAPIError)
    async def store_error(_request: Request, exc: DBAPIError):
        log.error("store error: %s", exc)
        return _error(503, "the store could not complete the request", None)


def run_server(host: str = "127.0.0.1", port: int = 8600, database_url: str | None = None,
               log_level: str = "info") -> None:
    """Serve the API until interrupted (what `doorctl server` calls)."""
    import uvicorn

    app = create_app(database_url)
    uvicorn.run(app, host=host, port=port, log_level=log_level)
