"""The programme's example district: Changning, its 10 units and their door targets.

Attachment 1 of the 2012 programme (shared/seed/) assigns 2,500 doors to ten
units, each a street office (or Xinjing town) with its police station.

    district = load_programme_district(session)   # idempotent
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import District, Street

DISTRICT = ("changning", "长宁区", "Changning District")

# (code, kind, name_zh, name_en, police station zh, police station en, door target)
UNITS = (
    ("xinhua-road", "street", "新华路街道", "Xinhua Road Subdistrict",
     "新华路派出所", "Xinhua Road Police Station", 300),
    ("jiangsu-road", "street", "江苏路街道", "Jiangsu Road Subdistrict",
     "江苏路派出所", "Jiangsu Road Police Station", 200),
    ("huayang-road", "street", "华阳路街道", "Huayang Road Subdistrict",
     "华阳路派出所", "Huayang Road Police Station", 200),
    ("zhoujiaqiao", "street", "周家桥街道", "Zhoujiaqiao Subdistrict",
     "周家桥派出所", "Zhoujiaqiao Police Station", 300),
    ("tianshan-road", "street", "天山路街道", "Tianshan Road Subdistrict",
     "天山路派出所", "Tianshan Road Police Station", 200),
    ("xianxia-xincun", "street", "仙霞新村街道", "Xianxia Xincun Subdistrict",
     "仙霞新村派出所", "Xianxia Xincun Police Station", 300),
    ("hongqiao", "street", "虹桥街道", "Hongqiao Subdistrict",
     "虹桥派出所", "Hongqiao Police Station", 300),
    # The programme writes 程桥 (short for 程家桥); kept as the programme names it.
    ("chengqiao", "street", "程桥街道", "Chengqiao Subdistrict",
     "程桥派出所", "Chengqiao Police Station", 150),
    ("beixinjing", "street", "北新泾街道", "Beixinjing Subdistrict",
     "北新泾派出所", "Beixinjing Police Station", 150),
    ("xinjing-town", "town", "新泾镇", "Xinjing Town",
     "新泾派出所", "Xinjing Police Station", 400),
)

PROGRAMME_DOOR_TARGET = 2500


def load_programme_district(session: Session) -> District:
    """Create (or complete) the district and its ten units; return the district."""
    code, name_zh, name_en = DISTRICT
    district = session.scalar(select(District).where(District.code == code))
    if district is None:
        district = District(code=code, name_zh=name_zh, name_en=name_en)
        session.add(district)
        session.flush()
    existing = set(session.scalars(select(Street.code)))
    for (ucode, kind, zh, en, pzh, pen, target) in UNITS:
        if ucode not in existing:
            session.add(Street(district_id=district.id, code=ucode, kind=kind, name_zh=zh,
                               name_en=en, police_station_zh=pzh, police_station_en=pen,
                               door_target=target))
    session.flush()
    return district
