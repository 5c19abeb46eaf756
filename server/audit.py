"""The audit trail of personal data: every read records who, when, which record and why.

    record_reads(session, principal, "person.view", [17, 18], reason="verify move-in")

Reads are recorded in the same transaction as the read itself, so a response
carrying personal data is never sent without its audit entry committed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .access import Principal
from .models import AuditEntry
from .timeutil import utcnow

MAX_REASON = 500


def record_reads(session: Session, principal: Principal, action: str, record_ids,
                 reason: str, record_type: str = "person") -> None:
    at = utcnow()
    reason = (reason or "").strip()[:MAX_REASON] or action
    session.add_all([AuditEntry(at=at, user_id=principal.user_id, user_login=principal.login,
                                action=action, record_type=record_type, record_id=rid,
                                reason=reason) for rid in record_ids])


def list_entries(session: Session, viewer: Principal, record_id: int | None = None,
                 user_id: int | None = None, since: datetime | None = None,
                 limit: int = 100, offset: int = 0) -> list[AuditEntry]:
    viewer.require("audit.read")
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit).offset(offset)
    if record_id is not None:
        query = query.where(AuditEntry.record_id == record_id)
    if user_id is not None:
        query = query.where(AuditEntry.user_id == user_id)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    return list(session.scalars(query))
