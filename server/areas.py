"""Areas of the three-level management: district, street (or town), committee.

An Area is where a caller may look. Records carry their area path
(district_id, street_id, committee_id); `Area.clauses(Model)` turns the area
into WHERE clauses, and `Area.holds(record)` checks one loaded record.

    area = Area(district_id=1, street_id=3)
    select(Door).where(*area.clauses(Door))
"""

from __future__ import annotations

from dataclasses import dataclass

LEVELS = ("district", "street", "committee")


@dataclass(frozen=True)
class Area:
    district_id: int
    street_id: int | None = None
    committee_id: int | None = None

    @property
    def level(self) -> str:
        if self.committee_id is not None:
            return "committee"
        if self.street_id is not None:
            return "street"
        return "district"

    def clauses(self, model) -> list:
        clauses = [model.district_id == self.district_id]
        if self.street_id is not None:
            clauses.append(model.street_id == self.street_id)
        if self.committee_id is not None:
            clauses.append(model.committee_id == self.committee_id)
        return clauses

    def holds(self, record) -> bool:
        if record is None or record.district_id != self.district_id:
            return False
        if self.street_id is not None and record.street_id != self.street_id:
            return False
        if self.committee_id is not None and record.committee_id != self.committee_id:
            return False
        return True

    def contains(self, other: "Area") -> bool:
        return self.holds(other)

    @classmethod
    def of(cls, record) -> "Area":
        return cls(record.district_id, record.street_id, record.committee_id)
