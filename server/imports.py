"""Bulk import of doors and persons from CSV (UTF-8 or GBK) and .xlsx, all or nothing.

    result = import_doors(session, principal, raw_bytes)          # ImportResult
    except ImportRejected as exc: exc.problems -> [{"row": 3, "field": "install_type",
                                                   "reason": "..."}]

Each row goes through the same library functions as the API (so the same rules
and the same area checks apply), inside one transaction. Every row is tried so
the report lists every problem; if there is any, the whole transaction is
rolled back and nothing is stored. Row numbers are the spreadsheet's: the
header is row 1.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from . import registry, residents
from .access import Principal
from .errors import Invalid, ServerError
from .identity import IdentityVault
from .models import Building, Committee, Door, Site, Street

MAX_ROWS = 100_000
MAX_PROBLEMS = 1000

# Column names district staff use, Chinese or English, to our field names.
DOOR_COLUMNS = {
    "street": "street", "街道": "street", "街道(镇)": "street", "街镇": "street",
    "committee": "committee", "居委会": "committee",
    "site": "site", "小区": "site", "building": "building", "楼栋": "building", "楼号": "building",
    "door": "door", "门": "door", "门禁": "door",
    "install_type": "install_type", "安装类型": "install_type", "state": "state", "状态": "state",
    "node_id": "node_id", "节点": "node_id", "设备号": "node_id",
    "installed_on": "installed_on", "安装日期": "installed_on",
    "accepted_on": "accepted_on", "验收日期": "accepted_on",
}
PERSON_COLUMNS = {
    "kind": "kind", "name": "name", "姓名": "name",
    "document_type": "document_type", "证件类型": "document_type",
    "id_number": "id_number", "证件号码": "id_number", "身份证号": "id_number",
    "household": "household", "户籍类别": "household",
    "residence_permit": "residence_permit", "居住证": "residence_permit",
    "elderly_alone": "elderly_alone", "独居老人": "elderly_alone",
    "disability": "disability", "残疾人": "disability",
    "committee": "committee", "居委会": "committee", "site": "site", "小区": "site",
    "building": "building", "楼栋": "building", "楼号": "building",
    "doors": "doors", "门": "doors",
}
_VALUE_ALIASES = {
    "install_type": {"新装": "new", "改装": "retrofit", "加装": "addon", "add-on": "addon"},
    "state": {"计划": "planned", "已安装": "installed", "已验收": "accepted", "故障": "fault",
              "停用": "retired"},
    "household": {"户籍": "registered", "本市户籍": "registered", "来沪": "migrant",
                  "来沪人员": "migrant"},
    "residence_permit": {"无": "none", "办理中": "applied", "有效": "valid", "过期": "expired"},
    "document_type": {"身份证": "resident_id", "居民身份证": "resident_id", "护照": "passport"},
}
_TRUE = {"1", "yes", "y", "true", "是"}
_FALSE = {"", "0", "no", "n", "false", "否"}


class ImportRejected(ServerError):
    status = 422
    error = "import rejected"

    def __init__(self, problems: list[dict], rows: int):
        super().__init__(f"{len(problems)} problem(s) in {rows} row(s); nothing was stored",
                         {"rows": rows, "problems": problems[:MAX_PROBLEMS]})
        self.problems = problems


@dataclass
class ImportResult:
    rows: int
    created: dict = field(default_factory=dict)


class _Problem(Exception):
    def __init__(self, field_name, reason):
        super().__init__(reason)
        self.field, self.reason = field_name, reason


def read_table(raw: bytes) -> list[list[str]]:
    """Rows of cells from CSV (UTF-8, UTF-8 with BOM, GBK/GB18030) or an .xlsx workbook."""
    if raw[:4] == b"PK\x03\x04":
        return _read_xlsx(raw)
    text = None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if text is None or "\x00" in text:
        raise ImportRejected([{"row": 0, "field": None,
                               "reason": "file is neither UTF-8 nor GBK text, nor .xlsx"}], 0)
    try:
        return [row for row in csv.reader(io.StringIO(text, newline="")) if any(c.strip() for c in row)]
    except csv.Error as exc:
        raise ImportRejected([{"row": 0, "field": None, "reason": f"not valid CSV: {exc}"}], 0)


def _read_xlsx(raw: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        sheet = load_workbook(io.BytesIO(raw), read_only=True, data_only=True).worksheets[0]
        rows = [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
        raise ImportRejected([{"row": 0, "field": None,
                               "reason": f"not a readable .xlsx workbook ({type(exc).__name__})"}],
                             0) from None
    return [row for row in rows if any(c.strip() for c in row)]


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _records(rows: list[list[str]], columns: dict, required: set[str]):
    if not rows:
        raise ImportRejected([{"row": 0, "field": None, "reason": "file has no header row"}], 0)
    header = [columns.get(h.strip().lower(), columns.get(h.strip())) for h in rows[0]]
    problems = [{"row": 1, "field": rows[0][i], "reason": "unknown column"}
                for i, name in enumerate(header) if name is None and rows[0][i].strip()]
    missing = required - set(header)
    problems += [{"row": 1, "field": name, "reason": "required column is missing"}
                 for name in sorted(missing)]
    if len(rows) - 1 > MAX_ROWS:
        problems.append({"row": 0, "field": None, "reason": f"more than {MAX_ROWS} rows"})
    if problems:
        raise ImportRejected(problems, len(rows) - 1)
    for number, row in enumerate(rows[1:], start=2):
        if len(row) > len(header):
            yield number, None
            continue
        yield number, {name: (row[i].strip() if i < len(row) else "")
                       for i, name in enumerate(header) if name}


def _value(record: dict, name: str, required: bool = False) -> str | None:
    value = record.get(name, "")
    value = _VALUE_ALIASES.get(name, {}).get(value, value)
    if not value:
        if required:
            raise _Problem(name, "value is required")
        return None
    return value


def _date(record: dict, name: str) -> date | None:
    value = _value(record, name)
    if value is None:
        return None
    try:
        return date.fromisoformat(value.replace("/", "-"))
    except ValueError:
        raise _Problem(name, "date must be YYYY-MM-DD") from None


def _flag(record: dict, name: str) -> bool:
    value = record.get(name, "").lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise _Problem(name, "expected yes/no (是/否, 1/0)")


def _run(session: Session, rows, columns, required, apply_row) -> ImportResult:
    """Apply every row in one transaction; roll all back if any row has a problem."""
    problems, count, created = [], 0, {}
    outer = session.begin_nested()
    for number, record in _records(rows, columns, required):
        count += 1
        if record is None:
            problems.append({"row": number, "field": None, "reason": "more cells than columns"})
            continue
        try:
            with session.begin_nested():
                for key in apply_row(record):
                    created[key] = created.get(key, 0) + 1
        except _Problem as exc:
            problems.append({"row": number, "field": exc.field, "reason": exc.reason})
        except ServerError as exc:
            detail = exc.detail if isinstance(exc.detail, dict) else {}
            problems.append({"row": number, "field": detail.get("field"), "reason": exc.message})
    if problems:
        outer.rollback()
        raise ImportRejected(problems, count)
    outer.commit()
    return ImportResult(rows=count, created=created)


class _Places:
    """Finds streets and committees, and finds or creates sites and buildings, in an area."""

    def __init__(self, session: Session, principal: Principal):
        self.session, self.area = session, principal.area
        # Files repeat the same few places on thousands of rows: look each up once.
        self._committees: dict = {}
        self._buildings: dict = {}

    def street(self, key: str) -> Street:
        street = self.session.scalar(select(Street).where(
            Street.district_id == self.area.district_id,
            or_(Street.code == key, Street.name_zh == key, Street.name_en == key)))
        if street is None or (self.area.street_id not in (None, street.id)):
            raise _Problem("street", "no such street in your area")
        return street

    def committee(self, key: str, street_id: int | None = None) -> Committee:
        if (key, street_id) not in self._committees:
            self._committees[(key, street_id)] = self._find_committee(key, street_id)
        return self._committees[(key, street_id)]

    def _find_committee(self, key: str, street_id: int | None) -> Committee:
        query = select(Committee).where(Committee.district_id == self.area.district_id,
                                        or_(Committee.code == key, Committee.name_zh == key,
                                            Committee.name_en == key))
        for column, value in ((Committee.street_id, street_id or self.area.street_id),
                              (Committee.id, self.area.committee_id)):
            if value is not None:
                query = query.where(column == value)
        committee = self.session.scalars(query).first()
        if committee is None:
            raise _Problem("committee", "no such committee in your area")
        return committee

    def building(self, committee: Committee, site_name: str, building_name: str,
                 create: bool) -> tuple[Building, list[str]]:
        key = (committee.id, site_name, building_name)
        if key in self._buildings:
            return self._buildings[key], []
        made = []
        site = self.session.scalar(select(Site).where(Site.committee_id == committee.id,
                                                      Site.name == site_name))
        if site is None:
            if not create:
                raise _Problem("site", "no such site in this committee")
            site = registry.create_site(self.session, self.area, committee.id, site_name)
            made.append("sites")
        building = self.session.scalar(select(Building).where(Building.site_id == site.id,
                                                              Building.name == building_name))
        if building is None:
            if not create:
                raise _Problem("building", "no such building in this site")
            building = registry.create_building(self.session, self.area, site.id, building_name)
            made.append("buildings")
        if not made:
            # Only places that existed before the import are cached: a new one
            # disappears with its row's savepoint if that row fails.
            self._buildings[key] = building
        return building, made


def import_doors(session: Session, principal: Principal, raw: bytes) -> ImportResult:
    """Doors with their place; sites and buildings are created as needed."""
    principal.require("import.doors")
    places = _Places(session, principal)

    def apply_row(record):
        street = places.street(_value(record, "street", True))
        committee = places.committee(_value(record, "committee", True), street.id)
        building, made = places.building(committee, _value(record, "site", True),
                                         _value(record, "building", True), create=True)
        registry.create_door(session, principal.area, building.id, _value(record, "door", True),
                             install_type=_value(record, "install_type", True),
                             state=_value(record, "state") or "planned",
                             node_id=_value(record, "node_id"),
                             installed_on=_date(record, "installed_on"),
                             accepted_on=_date(record, "accepted_on"))
        return made + ["doors"]

    return _run(session, read_table(raw), DOOR_COLUMNS,
                {"street", "committee", "site", "building", "door", "install_type"}, apply_row)


def import_persons(session: Session, principal: Principal, vault: IdentityVault,
                   raw: bytes) -> ImportResult:
    """Residents with their home building (committee, site, building names); doors optional."""
    principal.require("import.persons")
    places = _Places(session, principal)

    def apply_row(record):
        committee = places.committee(_value(record, "committee", True))
        building, _ = places.building(committee, _value(record, "site", True),
                                      _value(record, "building", True), create=False)
        door_ids = []
        for door_name in filter(None, (d.strip() for d in (record.get("doors") or "").split(";"))):
            door_id = session.scalar(select(Door.id).where(Door.building_id == building.id,
                                                           Door.name == door_name))
            if door_id is None:
                raise _Problem("doors", f"no door '{door_name}' in this building")
            door_ids.append(door_id)
        kind = _value(record, "kind") or "resident"
        if kind != "resident":
            raise _Problem("kind", "only residents are imported in bulk")
        household = _value(record, "household", True)
        data = residents.PersonInput(
            kind=kind, name=_value(record, "name", True),
            document_type=_value(record, "document_type") or "resident_id",
            id_number=_value(record, "id_number", True), building_id=building.id,
            household=household,
            residence_permit=_value(record, "residence_permit") or
            ("none" if household == "migrant" else None),
            elderly_alone=_flag(record, "elderly_alone"), disability=_flag(record, "disability"),
            door_ids=door_ids)
        residents.register_person(session, principal, vault, data)
        return ["persons"]

    return _run(session, read_table(raw), PERSON_COLUMNS,
                {"name", "id_number", "household", "committee", "site", "building"}, apply_row)


__all__ = ["import_doors", "import_persons", "ImportRejected", "ImportResult", "read_table",
           "Invalid"]
