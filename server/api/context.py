"""What every request handler needs: the store, the vault, the keys, and the caller."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Iterator

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from ..access import Principal, verify_token
from ..config import ServerSettings
from ..errors import ServerError, Unauthorized
from ..identity import IdentityVault
from ..secrets import ServerSecrets


@dataclass
class ServerContext:
    settings: ServerSettings
    engine: Engine
    sessions: sessionmaker
    secrets: ServerSecrets
    vault: IdentityVault
    # The provisioning root secret that door keys derive from (None: card lists unavailable).
    root_secret: object | None


class CardListsUnavailable(ServerError):
    status = 503
    error = "card lists unavailable"


def server_context(request: Request) -> ServerContext:
    return request.app.state.context


def _session(request: Request) -> Iterator[Session]:
    """One transaction per request, committed before the response is sent.

    Audit entries of personal-data reads are part of that transaction: if the
    commit fails, the caller gets an error instead of the data.
    """
    session = request.app.state.context.sessions()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


_bearer = HTTPBearer(auto_error=False, description="Token from POST /users/{id}/tokens")


def _principal(session: Annotated[Session, Depends(_session, scope="function")],
               request: Request,
               credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
               ) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("a bearer token is required")
    key = request.app.state.context.secrets.token_signing
    return verify_token(session, key, credentials.credentials)


Db = Annotated[Session, Depends(_session, scope="function")]
Caller = Annotated[Principal, Depends(_principal)]
Context = Annotated[ServerContext, Depends(server_context)]


def root_secret_of(context: ServerContext):
    if context.root_secret is None:
        raise CardListsUnavailable(
            "card lists need the provisioning root secret: set DOORCTL_ROOT_SECRET_FILE")
    return context.root_secret
