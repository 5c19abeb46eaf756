"""Request and response bodies of the API (pydantic), shared by the OpenAPI document."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

# Ids are 31-bit in every store; anything larger cannot exist and is refused early.
Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
# Printable text only: control characters (NUL above all) are refused at the door.
Text = Annotated[str, StringConstraints(pattern=r"^[^\x00-\x1f\x7f]*$", max_length=200)]
Name = Annotated[str, StringConstraints(pattern=r"^[^\x00-\x1f\x7f]+$", min_length=1,
                                        max_length=50, strip_whitespace=True)]
Code = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]
NodeId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9:_-]{1,40}$")]
Reason = Annotated[str, StringConstraints(pattern=r"^[^\x00-\x1f\x7f]*$", max_length=500)]
Day = Annotated[date, Field(ge=date(1990, 1, 1), le=date(2200, 12, 31))]
Moment = Annotated[datetime, Field(ge=datetime(1990, 1, 1), le=datetime(2100, 1, 1))]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ErrorOut(BaseModel):
    error: str
    detail: Any = None


class StreetOut(Output):
    id: int
    code: str
    kind: Literal["street", "town"]
    name_zh: str
    name_en: str
    police_station_zh: str
    police_station_en: str
    door_target: int


class DistrictOut(Output):
    id: int
    code: str
    name_zh: str
    name_en: str
    door_target: int
    streets: list[StreetOut]


class CommitteeIn(Input):
    street_id: Id
    code: Code
    name_zh: Name
    name_en: Name


class CommitteeOut(Output):
    id: int
    street_id: int
    code: str
    name_zh: str
    name_en: str


class SiteIn(Input):
    committee_id: Id
    name: Name
    address: Text = ""


class SiteOut(Output):
    id: int
    committee_id: int
    street_id: int
    name: str
    address: str


class BuildingIn(Input):
    site_id: Id
    name: Name


class BuildingOut(Output):
    id: int
    site_id: int
    committee_id: int
    street_id: int
    name: str


InstallType = Literal["new", "retrofit", "addon"]
DoorState = Literal["planned", "installed", "accepted", "fault", "retired"]


class DoorIn(Input):
    building_id: Id
    name: Name
    install_type: InstallType
    state: DoorState = "planned"
    node_id: NodeId | None = None
    installed_on: Day | None = None
    accepted_on: Day | None = None


class DoorPatch(Input):
    name: Name | None = None
    install_type: InstallType | None = None
    state: DoorState | None = None
    node_id: NodeId | None = None
    installed_on: Day | None = None
    accepted_on: Day | None = None


class DoorOut(Output):
    id: int
    name: str
    building_id: int
    site_id: int
    committee_id: int
    street_id: int
    install_type: str
    state: str
    node_id: str | None
    installed_on: date | None
    accepted_on: date | None
    building_name: str | None = None
    site_name: str | None = None
    resident_count: int | None = None


Household = Literal["registered", "migrant"]
Permit = Literal["none", "applied", "valid", "expired"]


class PersonIn(Input):
    kind: Literal["resident", "staff"] = "resident"
    name: Name
    document_type: Literal["resident_id", "passport"] = "resident_id"
    id_number: Annotated[str, StringConstraints(min_length=1, max_length=40,
                                                pattern=r"^[A-Za-z0-9 ]+$")]
    building_id: Id | None = None
    household: Household | None = None
    residence_permit: Permit | None = None
    elderly_alone: bool = False
    disability: bool = False
    committee_id: Id | None = None
    door_ids: Annotated[list[Id], Field(max_length=50)] = []


class PersonPatch(Input):
    name: Name | None = None
    household: Household | None = None
    residence_permit: Permit | None = None
    elderly_alone: bool | None = None
    disability: bool | None = None
    door_ids: Annotated[list[Id], Field(max_length=50)] | None = None


class PersonLookup(Input):
    document_type: Literal["resident_id", "passport"] = "resident_id"
    id_number: Annotated[str, StringConstraints(min_length=1, max_length=40,
                                                pattern=r"^[A-Za-z0-9 ]+$")]
    reason: Reason = ""


class CardOut(Output):
    id: int
    person_id: int
    card_id: int
    issue: int
    site_id: int | None = Field(description="site whose card keys personalise the card")
    state: str
    issued_at: datetime
    activated_at: datetime | None
    ended_at: datetime | None
    valid_until: datetime | None


class PersonOut(BaseModel):
    id: int
    kind: str
    name: str
    document_type: str
    id_number: str = Field(description="masked unless revealed")
    id_number_revealed: bool
    household: str | None
    residence_permit: str | None
    elderly_alone: bool
    disability: bool
    building_id: int | None
    committee_id: int | None
    street_id: int | None
    door_ids: list[int]
    state: str
    registered_at: datetime
    moved_out_at: datetime | None
    card: CardOut | None


class CardIssueIn(Input):
    replace: bool = False
    valid_until: Moment | None = None


class CardListOut(BaseModel):
    door_id: int
    node_id: str | None
    version: int
    digest: str
    entry_count: int
    built_at: datetime
    content_base64: str


class CardListBuildOut(BaseModel):
    doors: int
    versions: dict[str, int]


class AreaOut(BaseModel):
    district_id: int
    street_id: int | None
    committee_id: int | None
    level: str


class UserIn(Input):
    login: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{1,59}$")]
    role: Literal["district", "street", "committee", "installer", "maintainer"]
    street_id: Id | None = None
    committee_id: Id | None = None


class UserOut(BaseModel):
    id: int
    login: str
    role: str
    enabled: bool
    area: AreaOut


class TokenIn(Input):
    lifetime_s: Annotated[int, Field(ge=60, le=90 * 24 * 3600)] = 12 * 3600


class TokenOut(BaseModel):
    token: str
    expires_at: datetime


class AuditOut(Output):
    id: int
    at: datetime
    user_id: int | None
    user_login: str
    action: str
    record_type: str
    record_id: int | None
    reason: str


class ImportOut(BaseModel):
    rows: int
    created: dict[str, int]


class HealthOut(BaseModel):
    status: Literal["ok"]
    database: str
