"""The store: migrations, their match with the models, and the programme's seed."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from server.app import create_app
from server.db import open_store, session_scope
from server.models import Base, Street
from server.seed import PROGRAMME_DOOR_TARGET, UNITS

from .district_world import ROOT_SECRET, SERVER_SECRET


def test_migrations_match_the_models(app):
    with app.state.context.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_start_twice_migrates_and_seeds_once(database_url, app):
    again = create_app(database_url, secret=SERVER_SECRET, root_secret=ROOT_SECRET)
    with session_scope(again.state.context.engine) as s:
        assert s.scalar(select(func.count()).select_from(Street)) == len(UNITS) == 10
    again.state.context.engine.dispose()


def test_seed_holds_attachment_1_targets(app):
    with session_scope(app.state.context.engine) as s:
        streets = {st.name_zh: st for st in s.scalars(select(Street))}
    assert sum(st.door_target for st in streets.values()) == PROGRAMME_DOOR_TARGET == 2500
    assert streets["新泾镇"].door_target == 400 and streets["新泾镇"].kind == "town"
    assert streets["程桥街道"].door_target == 150
    assert streets["新华路街道"].name_en == "Xinhua Road Subdistrict"
    assert all(st.police_station_zh.endswith("派出所") for st in streets.values())


def test_district_endpoint_shows_units(client, world):
    body = client.get("/district", headers=world.headers("district")).json()
    assert body["door_target"] == 2500 and len(body["streets"]) == 10
    street_view = client.get("/district", headers=world.headers("street_a")).json()
    assert [s["code"] for s in street_view["streets"]] == ["xinhua-road"]


def test_health_reports_the_store(client, database_url):
    body = client.get("/health").json()
    assert body["status"] == "ok"
    assert body["database"] == ("sqlite" if database_url.startswith("sqlite") else "postgresql")


def test_sqlite_default_file_is_created(tmp_path):
    engine = open_store(f"sqlite:///{tmp_path}/sub/dir/district.sqlite3")
    assert (tmp_path / "sub" / "dir" / "district.sqlite3").exists()
    engine.dispose()
