"""Users, tokens, the caller's identity, and the audit trail."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Annotated

from fastapi import APIRouter, Path, Query
from sqlalchemy import text

from .. import access, audit
from ..models import User
from .context import Caller, Context, Db
from .schemas import AreaOut, AuditOut, HealthOut, Id, TokenIn, TokenOut, UserIn, UserOut

router = APIRouter(tags=["access"])
PathId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def user_out(user: User) -> UserOut:
    area = access.principal_of(user).area
    return UserOut(id=user.id, login=user.login, role=user.role, enabled=user.enabled,
                   area=AreaOut(district_id=area.district_id, street_id=area.street_id,
                                committee_id=area.committee_id, level=area.level))


@router.get("/health", response_model=HealthOut, tags=["service"])
def health(db: Db):
    db.execute(text("SELECT 1"))
    return HealthOut(status="ok", database=db.get_bind().dialect.name)


@router.get("/me", response_model=UserOut)
def me(db: Db, caller: Caller):
    return user_out(db.get(User, caller.user_id))


@router.get("/users", response_model=list[UserOut])
def users(db: Db, caller: Caller):
    return [user_out(u) for u in access.list_users(db, caller)]


@router.post("/users", response_model=UserOut, status_code=201)
def create_user(body: UserIn, db: Db, caller: Caller):
    caller.require("user.manage")
    area = access.area_for(db, caller.area.district_id, body.street_id, body.committee_id)
    return user_out(access.create_user(db, caller, body.login, body.role, area))


@router.post("/users/{user_id}/tokens", response_model=TokenOut, status_code=201)
def issue_token(user_id: PathId, body: TokenIn, db: Db, caller: Caller, ctx: Context):
    """A signed bearer token for a user of the caller's area (e.g. an installer's for a day)."""
    user = access.get_user(db, caller, user_id)
    now = datetime.now(timezone.utc)
    token = access.issue_token(ctx.secrets.token_signing, user, body.lifetime_s, now.timestamp())
    return TokenOut(token=token, expires_at=now + timedelta(seconds=body.lifetime_s))


@router.post("/users/{user_id}/revoke-tokens", response_model=UserOut)
def revoke_tokens(user_id: PathId, db: Db, caller: Caller):
    return user_out(access.revoke_tokens(db, caller, user_id))


@router.get("/audit", response_model=list[AuditOut], tags=["audit"])
def audit_trail(db: Db, caller: Caller, record_id: Annotated[Id | None, Query()] = None,
                user_id: Annotated[Id | None, Query()] = None,
                limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0):
    """Who read which person's record, when and why. District only."""
    return audit.list_entries(db, caller, record_id=record_id, user_id=user_id,
                              limit=limit, offset=offset)
