"""Registry endpoints: district, streets, committees, sites, buildings, doors."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from .. import registry
from ..models import Door
from .context import Caller, Db
from .schemas import (BuildingIn, BuildingOut, CommitteeIn, CommitteeOut, DistrictOut, DoorIn,
                      DoorOut, DoorPatch, DoorState, Id, SiteIn, SiteOut, StreetOut)

router = APIRouter(tags=["registry"])
PathId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=2**31 - 1)]


@router.get("/district", response_model=DistrictOut)
def district(db: Db, caller: Caller):
    caller.require("registry.read")
    d = registry.get_district(db, caller.area)
    streets = registry.list_streets(db, caller.area)
    return DistrictOut(id=d.id, code=d.code, name_zh=d.name_zh, name_en=d.name_en,
                       door_target=sum(s.door_target for s in streets),
                       streets=[StreetOut.model_validate(s) for s in streets])


@router.get("/streets", response_model=list[StreetOut])
def streets(db: Db, caller: Caller):
    caller.require("registry.read")
    return registry.list_streets(db, caller.area)


@router.get("/streets/{street_id}", response_model=StreetOut)
def street(street_id: PathId, db: Db, caller: Caller):
    caller.require("registry.read")
    return registry.get_street(db, caller.area, street_id)


@router.get("/committees", response_model=list[CommitteeOut])
def committees(db: Db, caller: Caller, street_id: Annotated[Id | None, Query()] = None):
    caller.require("registry.read")
    return registry.list_committees(db, caller.area, street_id)


@router.post("/committees", response_model=CommitteeOut, status_code=201)
def create_committee(body: CommitteeIn, db: Db, caller: Caller):
    caller.require("registry.write")
    return registry.create_committee(db, caller.area, **body.model_dump())


@router.get("/committees/{committee_id}", response_model=CommitteeOut)
def committee(committee_id: PathId, db: Db, caller: Caller):
    caller.require("registry.read")
    return registry.get_committee(db, caller.area, committee_id)


@router.get("/sites", response_model=list[SiteOut])
def sites(db: Db, caller: Caller, committee_id: Annotated[Id | None, Query()] = None):
    caller.require("registry.read")
    return registry.list_sites(db, caller.area, committee_id)


@router.post("/sites", response_model=SiteOut, status_code=201)
def create_site(body: SiteIn, db: Db, caller: Caller):
    caller.require("registry.write")
    return registry.create_site(db, caller.area, **body.model_dump())


@router.get("/sites/{site_id}", response_model=SiteOut)
def site(site_id: PathId, db: Db, caller: Caller):
    caller.require("registry.read")
    return registry.get_site(db, caller.area, site_id)


@router.get("/buildings", response_model=list[BuildingOut])
def buildings(db: Db, caller: Caller, site_id: Annotated[Id | None, Query()] = None):
    caller.require("registry.read")
    return registry.list_buildings(db, caller.area, site_id)


@router.post("/buildings", response_model=BuildingOut, status_code=201)
def create_building(body: BuildingIn, db: Db, caller: Caller):
    caller.require("registry.write")
    return registry.create_building(db, caller.area, **body.model_dump())


@router.get("/buildings/{building_id}", response_model=BuildingOut)
def building(building_id: PathId, db: Db, caller: Caller):
    caller.require("registry.read")
    return registry.get_building(db, caller.area, building_id)


def _door_out(row: registry.DoorRow) -> DoorOut:
    out = DoorOut.model_validate(row.door)
    out.building_name, out.site_name = row.building_name, row.site_name
    out.resident_count = row.resident_count
    return out


@router.get("/doors", response_model=list[DoorOut])
def doors(db: Db, caller: Caller, state: Annotated[DoorState | None, Query()] = None,
          building_id: Annotated[Id | None, Query()] = None,
          committee_id: Annotated[Id | None, Query()] = None,
          limit: Limit = 100, offset: Offset = 0):
    caller.require("registry.read")
    rows = registry.list_doors(db, caller.area, state=state, building_id=building_id,
                               committee_id=committee_id, limit=limit, offset=offset)
    return [_door_out(row) for row in rows]


@router.post("/doors", response_model=DoorOut, status_code=201)
def create_door(body: DoorIn, db: Db, caller: Caller):
    caller.require("registry.write")
    return registry.create_door(db, caller.area, **body.model_dump())


@router.get("/doors/{door_id}", response_model=DoorOut)
def door(door_id: PathId, db: Db, caller: Caller):
    caller.require("registry.read")
    return registry.get_door(db, caller.area, door_id)


@router.patch("/doors/{door_id}", response_model=DoorOut)
def update_door(door_id: PathId, body: DoorPatch, db: Db, caller: Caller):
    caller.require("door.update")
    return registry.update_door(db, caller.area, door_id, body.model_dump(exclude_unset=True))


__all__ = ["router", "Door"]
