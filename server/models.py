"""The district server's tables.

Every record that belongs to an area carries its area path (district, street,
committee) as columns. Buildings never move between committees, so the copy
never goes stale, and scoping a query to the caller's area is one indexed
comparison instead of a join up the hierarchy (see server/areas.py).
"""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import (BigInteger, Boolean, Date, DateTime, ForeignKey, Index, Integer,
                        LargeBinary, MetaData, String, Text, UniqueConstraint, text)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC on both stores (SQLite hands back naive datetimes)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value


class Base(DeclarativeBase):
    # Named constraints, so that later migrations can drop or alter them on both stores.
    metadata = MetaData(naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    })


class AreaPath:
    """Columns naming the area a record belongs to (None above the record's level)."""

    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    street_id: Mapped[int | None] = mapped_column(ForeignKey("streets.id"), index=True)
    committee_id: Mapped[int | None] = mapped_column(ForeignKey("committees.id"), index=True)


class District(Base):
    __tablename__ = "districts"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))


class Street(Base):
    """A street office (街道) or town (镇), with the police station working beside it."""

    __tablename__ = "streets"
    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(10))  # street | town
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    police_station_zh: Mapped[str] = mapped_column(String(100))
    police_station_en: Mapped[str] = mapped_column(String(100))
    door_target: Mapped[int] = mapped_column(Integer, default=0)  # Attachment 1


class Committee(Base):
    """A neighbourhood (residents') committee, 居委会."""

    __tablename__ = "committees"
    __table_args__ = (UniqueConstraint("street_id", "name_zh"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    street_id: Mapped[int] = mapped_column(ForeignKey("streets.id"), index=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))


class Site(AreaPath, Base):
    """A residential compound (小区)."""

    __tablename__ = "sites"
    __table_args__ = (UniqueConstraint("committee_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(200), default="")


class Building(AreaPath, Base):
    __tablename__ = "buildings"
    __table_args__ = (UniqueConstraint("site_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))


class Door(AreaPath, Base):
    __tablename__ = "doors"
    __table_args__ = (UniqueConstraint("building_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    install_type: Mapped[str] = mapped_column(String(10))  # new | retrofit | addon
    state: Mapped[str] = mapped_column(String(12))  # planned | installed | accepted | fault | retired
    node_id: Mapped[str | None] = mapped_column(String(40), unique=True)
    installed_on: Mapped[date | None] = mapped_column(Date)
    accepted_on: Mapped[date | None] = mapped_column(Date)


class Person(AreaPath, Base):
    """A resident or a member of staff with a real-name registration.

    The ID document number is kept only as AES-GCM ciphertext, an HMAC look-up
    hash (unique: one registration per document) and a masked form for display.
    """

    __tablename__ = "persons"
    # Card lists select a building's live residents.
    __table_args__ = (Index("ix_persons_building_state", "building_id", "state"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # resident | staff
    name: Mapped[str] = mapped_column(String(100))
    document_type: Mapped[str] = mapped_column(String(12))
    document_cipher: Mapped[bytes] = mapped_column(LargeBinary)
    document_lookup: Mapped[str] = mapped_column(String(64), unique=True)
    document_masked: Mapped[str] = mapped_column(String(40))
    household: Mapped[str | None] = mapped_column(String(12))  # registered | migrant
    residence_permit: Mapped[str | None] = mapped_column(String(10))  # none|applied|valid|expired
    elderly_alone: Mapped[bool] = mapped_column(Boolean, default=False)
    disability: Mapped[bool] = mapped_column(Boolean, default=False)
    building_id: Mapped[int | None] = mapped_column(ForeignKey("buildings.id"), index=True)
    state: Mapped[str] = mapped_column(String(10), default="active")  # active | moved_out
    card_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    moved_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DoorGrant(Base):
    """A door a person may open: staff's doors, or a resident's subset of their building."""

    __tablename__ = "door_grants"
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"),
                                           primary_key=True)
    door_id: Mapped[int] = mapped_column(ForeignKey("doors.id"), primary_key=True, index=True)


class Card(Base):
    """One physical card: the person's card id and its issue number."""

    __tablename__ = "cards"
    __table_args__ = (
        UniqueConstraint("card_id", "issue"),
        # One card in force per person: issued (not yet written) or active.
        Index("one_live_card_per_person", "person_id", unique=True,
              sqlite_where=text("state IN ('issued', 'active')"),
              postgresql_where=text("state IN ('issued', 'active')")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    card_id: Mapped[int] = mapped_column(BigInteger, index=True)
    issue: Mapped[int] = mapped_column(Integer)
    # The site whose card keys personalise this card (the holder's home compound).
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    state: Mapped[str] = mapped_column(String(10))  # issued|active|lost|replaced|revoked
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DoorCardList(Base):
    """The latest authenticated card list built for a door."""

    __tablename__ = "door_card_lists"
    door_id: Mapped[int] = mapped_column(ForeignKey("doors.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(64))  # of the entries, not of the signed blob
    entry_count: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    built_at: Mapped[datetime] = mapped_column(UTCDateTime)


class User(AreaPath, Base):
    """A member of staff of the district, a street or a committee, or an installer/maintainer."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(60), unique=True)
    role: Mapped[str] = mapped_column(String(12))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Raising token_epoch invalidates every token issued before.
    token_epoch: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AuditEntry(Base):
    """One read (or change) of personal data: who, when, which record, why."""

    __tablename__ = "audit_entries"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    user_login: Mapped[str] = mapped_column(String(60))
    action: Mapped[str] = mapped_column(String(40))
    record_type: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    reason: Mapped[str] = mapped_column(Text)


class DoorLog(Base):
    """One event log of a door node (a node starts a new log, with a new id, when reflashed).

    stored_to: every record up to it is stored and chain-verified (what acknowledgements
    cover); reported_head: the highest head the node vouched for (its head MAC verified).
    """

    __tablename__ = "door_logs"
    __table_args__ = (UniqueConstraint("door_id", "log_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    door_id: Mapped[int] = mapped_column(ForeignKey("doors.id"), index=True)
    log_id: Mapped[int] = mapped_column(BigInteger)
    origin: Mapped[int] = mapped_column(Integer)
    node_id: Mapped[str | None] = mapped_column(String(40))
    stored_to: Mapped[int] = mapped_column(BigInteger, default=0)
    stored_tag: Mapped[int | None] = mapped_column(BigInteger)
    max_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    reported_head: Mapped[int] = mapped_column(BigInteger, default=0)
    reported_head_tag: Mapped[int | None] = mapped_column(BigInteger)
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    node_first: Mapped[int] = mapped_column(BigInteger, default=0)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    last_upload: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DoorEvent(Base):
    """One verified event record of a door: for reports (who entered, when, refused why).

    card_id is the card field of the record (no names here); at is None when the node's
    clock was not set (order by seq then); record keeps the 16 authenticated bytes.
    """

    __tablename__ = "door_events"
    __table_args__ = (UniqueConstraint("door_id", "log_id", "seq"),
                      Index("ix_door_events_door_at", "door_id", "at"))
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    door_id: Mapped[int] = mapped_column(ForeignKey("doors.id"))
    log_id: Mapped[int] = mapped_column(BigInteger)
    seq: Mapped[int] = mapped_column(BigInteger)
    segment: Mapped[int] = mapped_column(Integer)
    boot: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    node_time: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[int] = mapped_column(Integer)
    reason: Mapped[int] = mapped_column(Integer)
    extra: Mapped[int] = mapped_column(Integer)
    card_id: Mapped[int] = mapped_column(BigInteger, index=True)
    record: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class EventGap(Base):
    """Sequence numbers of a door log the district does not hold (yet, or for good)."""

    __tablename__ = "event_gaps"
    __table_args__ = (UniqueConstraint("door_id", "log_id", "from_seq"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    door_id: Mapped[int] = mapped_column(ForeignKey("doors.id"), index=True)
    log_id: Mapped[int] = mapped_column(BigInteger)
    from_seq: Mapped[int] = mapped_column(BigInteger)
    to_seq: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(12))  # missing | lost | cut_tail
    found_at: Mapped[datetime] = mapped_column(UTCDateTime)


class EventQuarantine(Base):
    """A record refused at ingestion, kept as it arrived for inspection."""

    __tablename__ = "event_quarantine"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    door_id: Mapped[int] = mapped_column(ForeignKey("doors.id"), index=True)
    log_id: Mapped[int | None] = mapped_column(BigInteger)
    seq: Mapped[int | None] = mapped_column(BigInteger)
    header: Mapped[bytes] = mapped_column(LargeBinary)
    record: Mapped[bytes | None] = mapped_column(LargeBinary)
    reason: Mapped[str] = mapped_column(Text)
    uploaded_by: Mapped[str] = mapped_column(String(60))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
