"""Bulk import endpoints: the request body is the file itself (CSV or .xlsx)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from .. import imports
from .context import Caller, Context, Db
from .schemas import ErrorOut, ImportOut

router = APIRouter(tags=["imports"])

_FILE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string", "format": "binary"}},
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
                {"schema": {"type": "string", "format": "binary"}},
        },
    }
}
_RESPONSES = {422: {"model": ErrorOut, "description": "validation report: row, field, reason"}}


@router.post("/imports/doors", response_model=ImportOut, status_code=201,
             openapi_extra=_FILE_BODY, responses=_RESPONSES)
async def import_doors(request: Request, db: Db, caller: Caller):
    raw = await request.body()
    result = await run_in_threadpool(imports.import_doors, db, caller, raw)
    return ImportOut(rows=result.rows, created=result.created)


@router.post("/imports/persons", response_model=ImportOut, status_code=201,
             openapi_extra=_FILE_BODY, responses=_RESPONSES)
async def import_persons(request: Request, db: Db, caller: Caller, ctx: Context):
    raw = await request.body()
    result = await run_in_threadpool(imports.import_persons, db, caller, ctx.vault, raw)
    return ImportOut(rows=result.rows, created=result.created)
