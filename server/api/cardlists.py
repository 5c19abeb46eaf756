"""Card-list endpoints for laptops and nodes: fetch the lists of the doors a caller serves."""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from sqlalchemy import select

from .. import cardlists, registry
from ..models import Door
from .context import Caller, Context, Db, root_secret_of
from .schemas import CardListBuildOut, CardListOut, Id

router = APIRouter(tags=["card lists"])
PathId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("/card-lists", response_model=list[CardListOut])
def card_lists(db: Db, caller: Caller, ctx: Context,
               door_id: Annotated[list[Id] | None, Query(max_length=500)] = None):
    """The current list of each door in the caller's area (or of the doors named).

    Lists are brought up to date on the way: a door's version rises only if its
    content changed, so a laptop can compare versions with what the node holds.
    """
    caller.require("cardlist.fetch")
    if door_id:
        for one in door_id:
            registry.get_door(db, caller.area, one)  # 404 for another area's door
    built = cardlists.build_lists(db, caller.area, root_secret_of(ctx), door_ids=door_id)
    nodes = dict(db.execute(select(Door.id, Door.node_id).where(Door.id.in_(list(built)))).all())
    return [CardListOut(door_id=row.door_id, node_id=nodes.get(row.door_id), version=row.version,
                        digest=row.digest, entry_count=row.entry_count, built_at=row.built_at,
                        content_base64=base64.b64encode(row.content).decode())
            for row in sorted(built.values(), key=lambda r: r.door_id)]


@router.post("/card-lists/build", response_model=CardListBuildOut)
def build(db: Db, caller: Caller, ctx: Context):
    """Rebuild the lists of every door in the caller's area; returns each door's version."""
    caller.require("registry.write")
    built = cardlists.build_lists(db, caller.area, root_secret_of(ctx))
    return CardListBuildOut(doors=len(built),
                            versions={str(k): v.version for k, v in sorted(built.items())})


@router.get("/doors/{door_id}/card-list", tags=["card lists"],
            responses={200: {"content": {"application/octet-stream": {}},
                             "description": "the authenticated card list the node installs"}})
def door_card_list(door_id: PathId, db: Db, caller: Caller, ctx: Context):
    caller.require("cardlist.fetch")
    door = registry.get_door(db, caller.area, door_id)
    if door.state == "retired":
        from ..errors import NotFound
        raise NotFound("retired doors have no card list")
    row = cardlists.build_lists(db, caller.area, root_secret_of(ctx), door_ids=[door.id])[door.id]
    return Response(row.content, media_type="application/octet-stream",
                    headers={"X-Card-List-Version": str(row.version),
                             "X-Card-List-Digest": row.digest})
