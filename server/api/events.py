"""Door event logs: laptops upload what they pulled, and fetch acknowledgements for the doors."""

from __future__ import annotations

import base64
import binascii
import time
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field, field_validator

from .. import ingest
from .context import Caller, Context, Db, root_secret_of
from .schemas import Id

router = APIRouter(tags=["event logs"])
PathId = Annotated[int, Path(ge=1, le=2**31 - 1)]
U32 = Annotated[int, Field(ge=0, le=2**32 - 1)]


def _b64(value: str, size: int | None = None, multiple: int | None = None) -> bytes:
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("not base64") from None
    if size is not None and len(raw) != size:
        raise ValueError(f"must be {size} bytes")
    if multiple and len(raw) % multiple:
        raise ValueError(f"must be a multiple of {multiple} bytes")
    return raw


class SliceIn(BaseModel):
    header: str = Field(description="the segment's 32-byte header, base64", max_length=64)
    first_index: int = Field(ge=0, le=253, description="index of the first record in the segment")
    records: str = Field(description="16-byte records, base64", max_length=60000)

    @field_validator("header")
    @classmethod
    def _header(cls, v):
        _b64(v, 32)
        return v

    @field_validator("records")
    @classmethod
    def _records(cls, v):
        _b64(v, multiple=16)
        return v


class HeadIn(BaseModel):
    seq: U32
    tag: U32
    time: U32
    segment: U32
    mac: str = Field(pattern="^[0-9a-fA-F]{32}$", description="the node's head MAC, hex")
    first: U32 | None = None


class BatchIn(BaseModel):
    log_id: U32
    origin: int = Field(ge=0, le=2)
    node_id: str | None = Field(default=None, max_length=40)
    head: HeadIn | None = Field(default=None, description="the head the node reported at the pull")
    last: bool = Field(default=False, description="the last batch of a pull: the head must be reached")
    slices: list[SliceIn] = Field(max_length=64)


class GapOut(BaseModel):
    model_config = {"populate_by_name": True}
    from_: int = Field(alias="from")
    to: int
    kind: str


class RejectedOut(BaseModel):
    seq: int | None
    reason: str


class BatchOut(BaseModel):
    door_id: int
    log_id: int
    received: int
    stored: int
    duplicates: int
    rejected: list[RejectedOut]
    link_breaks: list[int]
    unverified: list[int] = Field(description="records left out: the record before is not stored yet")
    gaps: list[GapOut]
    head: dict | None
    stored_to: int
    max_seq: int
    ack: str | None = Field(description="acknowledgement for the node (event_ack format), hex")
    server_time: float


class AckOut(BaseModel):
    door_id: int
    log_id: int
    seq: int
    ack: str


class EventOut(BaseModel):
    model_config = {"from_attributes": True}
    log_id: int
    seq: int
    boot: int
    at: datetime | None
    node_time: int
    kind: int
    reason: int
    extra: int
    card_id: int


class PurgeOut(BaseModel):
    events: int
    quarantined: int
    cutoff: str


@router.post("/doors/{door_id}/event-batches", response_model=BatchOut, response_model_by_alias=True)
def upload_batch(door_id: PathId, body: BatchIn, db: Db, caller: Caller, ctx: Context):
    """Store a batch of a door's event records (idempotent); returns the acknowledgement.

    Records that do not verify are refused with a reason and quarantined; ranges the
    district does not hold are reported as gaps (docs/protocol.md)."""
    caller.require("event.upload")
    batch = ingest.BatchIn(
        log_id=body.log_id, origin=body.origin, node_id=body.node_id, last=body.last,
        head=body.head.model_dump() if body.head else None,
        slices=[ingest.SliceIn(base64.b64decode(s.header), s.first_index, base64.b64decode(s.records))
                for s in body.slices])
    out = ingest.ingest_batch(db, caller, root_secret_of(ctx), door_id, batch)
    out["server_time"] = time.time()
    return out


@router.get("/event-acks", response_model=list[AckOut])
def event_acks(db: Db, caller: Caller, ctx: Context,
               door_id: Annotated[list[Id] | None, Query(max_length=500)] = None):
    """The newest acknowledgement of each door of the caller's area that has uploaded events."""
    caller.require("event.upload")
    return ingest.door_acks(db, caller, root_secret_of(ctx), door_id)


@router.get("/doors/{door_id}/events", response_model=list[EventOut])
def events(door_id: PathId, db: Db, caller: Caller,
           after_seq: Annotated[int, Query(ge=0, le=2**32)] = 0,
           limit: Annotated[int, Query(ge=1, le=5000)] = 1000):
    """A door's stored events in sequence order (card ids and results; no names)."""
    return ingest.door_events(db, caller, door_id, after_seq, limit)


@router.post("/events/purge", response_model=PurgeOut)
def purge(db: Db, caller: Caller, ctx: Context):
    """Delete events older than the configured retention (at least 180 days)."""
    caller.require("event.purge")
    return ingest.purge_events(db, ctx.settings.event_retention_days)
