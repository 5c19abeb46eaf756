"""Who may do what, where: roles, the permission table, users and bearer tokens.

A caller is a Principal: a user with a role and an Area. Roles say what a
caller may do; the area says where. Handlers ask `principal.require("person.read")`
(403 when the role may never do it) and pass `principal.area` to the library,
which returns 404 for records outside the area so ids of other areas reveal nothing.

Tokens are `dct1.<payload>.<mac>`: base64url JSON {sub, ep, exp} and an
HMAC-SHA256 over it with a key derived from the server secret. Raising a user's
token_epoch (or disabling the user) cancels all their tokens at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from .areas import Area
from .errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from .models import Committee, Street, User
from .timeutil import utcnow

ROLES = ("district", "street", "committee", "installer", "maintainer")
# The level a role's area must have; installers and maintainers may hold any.
ROLE_LEVEL = {"district": "district", "street": "street", "committee": "committee"}

_ADMIN = {"district", "street"}
_OFFICE = {"district", "street", "committee"}
_FIELD = {"installer", "maintainer"}

PERMISSIONS: dict[str, set[str]] = {
    "registry.read": _OFFICE | _FIELD,
    "registry.write": _ADMIN,
    "door.update": _ADMIN | _FIELD,
    "person.read": _OFFICE,
    "person.write": _OFFICE,
    # Reading the full ID number: district population office and street/police level only.
    "person.reveal": _ADMIN,
    "card.manage": _OFFICE,
    "cardlist.fetch": _ADMIN | _FIELD,
    "import.doors": _ADMIN,
    "import.persons": _OFFICE,
    "audit.read": {"district"},
    "user.manage": _ADMIN,
    # Door event logs: field staff upload what they pulled from the doors of their area.
    "event.upload": _FIELD,
    "event.read": _OFFICE,
    "event.purge": {"district"},
}

TOKEN_PREFIX = "dct1"
_LOGIN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,59}$")


@dataclass(frozen=True)
class Principal:
    user_id: int
    login: str
    role: str
    area: Area

    def may(self, action: str) -> bool:
        return self.role in PERMISSIONS[action]

    def require(self, action: str) -> None:
        if not self.may(action):
            raise Forbidden(f"role '{self.role}' may not {action.replace('.', ' ')}")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue_token(key: bytes, user: User, lifetime_s: int, now: float | None = None) -> str:
    payload = {"sub": user.id, "ep": user.token_epoch, "exp": int((now or time.time()) + lifetime_s)}
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    mac = hmac.new(key, f"{TOKEN_PREFIX}.{body}".encode(), hashlib.sha256).digest()
    return f"{TOKEN_PREFIX}.{body}.{_b64(mac)}"


def verify_token(session: Session, key: bytes, token: str, now: float | None = None) -> Principal:
    """Return the token's principal, or raise Unauthorized (forged, expired, revoked)."""
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        raise Unauthorized("malformed token")
    expected = hmac.new(key, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
    try:
        given = _unb64(parts[2])
        payload = json.loads(_unb64(parts[1])) if hmac.compare_digest(expected, given) else None
    except (ValueError, UnicodeDecodeError):
        payload = None
    if not isinstance(payload, dict):
        raise Unauthorized("token signature is not valid")
    exp, sub, epoch = payload.get("exp"), payload.get("sub"), payload.get("ep")
    if not all(isinstance(v, int) for v in (exp, sub, epoch)):
        raise Unauthorized("token signature is not valid")
    if exp <= (now or time.time()):
        raise Unauthorized("token has expired")
    user = session.get(User, sub)
    if user is None or not user.enabled or user.token_epoch != epoch:
        raise Unauthorized("token has been revoked")
    return principal_of(user)


def principal_of(user: User) -> Principal:
    return Principal(user.id, user.login, user.role, Area.of(user))


def area_for(session: Session, district_id: int, street_id: int | None,
             committee_id: int | None) -> Area:
    """Build an Area from ids, checking that they exist and nest."""
    if committee_id is not None:
        committee = session.get(Committee, committee_id)
        if committee is None or committee.district_id != district_id:
            raise NotFound("no such committee")
        if street_id is not None and committee.street_id != street_id:
            raise Invalid("committee does not belong to that street", {"field": "committee_id"})
        return Area(district_id, committee.street_id, committee_id)
    if street_id is not None:
        street = session.get(Street, street_id)
        if street is None or street.district_id != district_id:
            raise NotFound("no such street")
    return Area(district_id, street_id, None)


def create_user(session: Session, creator: Principal | None, login: str, role: str,
                area: Area) -> User:
    """Create a user; a creator may only create users inside its own area.

    creator=None is the bootstrap path (CLI creating the first district user).
    """
    if role not in ROLES:
        raise Invalid(f"role must be one of {', '.join(ROLES)}", {"field": "role"})
    if not isinstance(login, str) or not _LOGIN.match(login):
        raise Invalid("login is 2-60 lower-case letters, digits, '.', '_' or '-'", {"field": "login"})
    if ROLE_LEVEL.get(role, area.level) != area.level:
        raise Invalid(f"a {role} user belongs to a {ROLE_LEVEL[role]}", {"field": "role"})
    if creator is not None:
        creator.require("user.manage")
        if not creator.area.contains(area):
            raise NotFound("no such area")
        if role == "district" and creator.role != "district":
            raise Forbidden("only the district may create district users")
    if session.scalar(select(User.id).where(User.login == login)) is not None:
        raise Conflict("login already taken", {"field": "login"})
    user = User(login=login, role=role, enabled=True, token_epoch=0, created_at=utcnow(),
                district_id=area.district_id, street_id=area.street_id,
                committee_id=area.committee_id)
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, viewer: Principal, user_id: int) -> User:
    viewer.require("user.manage")
    user = session.get(User, user_id)
    if user is None or not viewer.area.holds(user):
        raise NotFound("no such user")
    return user


def list_users(session: Session, viewer: Principal) -> list[User]:
    viewer.require("user.manage")
    return list(session.scalars(select(User).where(*viewer.area.clauses(User)).order_by(User.id)))


def revoke_tokens(session: Session, viewer: Principal, user_id: int) -> User:
    user = get_user(session, viewer, user_id)
    user.token_epoch += 1
    return user
