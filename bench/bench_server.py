"""District server figures on SQLite and PostgreSQL (prints numbers; never pass/fail).

    .venv/bin/python bench/bench_server.py [--residents-per-door 200] [--backends sqlite,postgresql]

Builds the programme's district at full size: 2,500 doors (Attachment 1 targets,
one door per building) with 200 residents each (500,000 residents holding
active cards), then measures
- card-list build for all 2,500 doors (first build, and a rebuild with no change);
- door listing for a street user through the API (p50/p95 over repeated pages);
- bulk import rate of residents and doors from CSV through the import library.
PostgreSQL: DOORCTL_BENCH_POSTGRES_URL (default the test server), in a schema of its own.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import create_engine, insert, select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from server import access, cardlists, idnumbers, imports  # noqa: E402
from server.app import create_app  # noqa: E402
from server.areas import Area  # noqa: E402
from server.db import session_scope  # noqa: E402
from server.models import (Building, Card, Committee, Door, Person, Site,  # noqa: E402
                           Street)
from server.timeutil import utcnow  # noqa: E402

SERVER_SECRET = bytes(range(32))
ROOT_SECRET = bytes(range(100, 132))
POSTGRES_URL = os.environ.get("DOORCTL_BENCH_POSTGRES_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def id_number(n: int) -> str:
    """A distinct valid resident ID number for person n (birth date and sequence vary)."""
    day = 1 + n % 28
    month = 1 + (n // 28) % 12
    year = 1930 + (n // 336) % 80
    seq = (n // 26880) % 1000
    first17 = f"310105{year:04d}{month:02d}{day:02d}{seq:03d}"
    return first17 + idnumbers.check_character(first17)


def populate(app, per_door: int) -> dict:
    ctx = app.state.context
    vault = ctx.vault
    now = utcnow()
    t0 = time.perf_counter()
    person_n = 0
    with session_scope(ctx.engine) as s:
        streets = list(s.scalars(select(Street).order_by(Street.id)))
        for street in streets:
            committees = []
            for c in range(5):
                committee = Committee(district_id=street.district_id, street_id=street.id,
                                      code=f"{street.code}-c{c}", name_zh=f"{street.name_zh}{c}居委会",
                                      name_en=f"{street.name_en} committee {c}")
                s.add(committee)
                committees.append(committee)
            s.flush()
            for d in range(street.door_target):
                committee = committees[d % 5]
                path = dict(district_id=street.district_id, street_id=street.id,
                            committee_id=committee.id)
                site = Site(name=f"site {d // 10}", address="", **path)
                existing = s.scalar(select(Site).where(Site.committee_id == committee.id,
                                                       Site.name == site.name))
                if existing is None:
                    s.add(site)
                    s.flush()
                else:
                    site = existing
                building = Building(site_id=site.id, name=f"building {d}", **path)
                s.add(building)
                s.flush()
                door = Door(building_id=building.id, site_id=site.id, name="main",
                            install_type=("new", "retrofit", "addon")[d % 3], state="accepted",
                            **path)
                s.add(door)
                persons, ids = [], []
                for _ in range(per_door):
                    number = id_number(person_n)
                    ids.append(person_n)
                    persons.append(dict(
                        kind="resident", name=f"居民{person_n}", document_type="resident_id",
                        document_cipher=vault.seal("resident_id", number),
                        document_lookup=vault.lookup("resident_id", number),
                        document_masked=idnumbers.mask("resident_id", number),
                        household="registered", residence_permit=None,
                        elderly_alone=person_n % 50 == 0, disability=False,
                        building_id=building.id, state="active", card_id=person_n + 1,
                        registered_at=now, **path))
                    person_n += 1
                s.execute(insert(Person), persons)
            s.flush()
        # Cards: one active card per person (card id = person's card_id).
        rows = s.execute(select(Person.id, Person.card_id)).all()
        for start in range(0, len(rows), 20000):
            s.execute(insert(Card), [dict(person_id=pid, card_id=cid, issue=1, state="active",
                                          issued_at=now, activated_at=now)
                                     for pid, cid in rows[start:start + 20000]])
    return {"residents": person_n, "populate_s": time.perf_counter() - t0}


def bench_card_lists(app) -> dict:
    ctx = app.state.context
    with session_scope(ctx.engine) as s:
        district = Area(s.scalar(select(Street.district_id)))
        t0 = time.perf_counter()
        built = cardlists.build_lists(s, district, ROOT_SECRET)
        first = time.perf_counter() - t0
    with session_scope(ctx.engine) as s:
        t0 = time.perf_counter()
        again = cardlists.build_lists(s, district, ROOT_SECRET)
        unchanged = time.perf_counter() - t0
        versions = {row.version for row in again.values()}
    entries = sum(row.entry_count for row in built.values())
    return {"doors": len(built), "entries": entries, "first_build_s": first,
            "rebuild_unchanged_s": unchanged, "versions_after_rebuild": sorted(versions)}


def bench_door_listing(app, rounds: int = 60) -> dict:
    ctx = app.state.context
    with session_scope(ctx.engine) as s:
        street = s.scalar(select(Street).where(Street.code == "xinjing-town"))
        user = access.create_user(s, None, "bench-street", "street",
                                  Area(street.district_id, street.id))
        token = access.issue_token(ctx.secrets.token_signing, user, 3600)
    headers = {"Authorization": f"Bearer {token}"}
    times = []
    with TestClient(app) as client:
        for i in range(rounds):
            offset = (i * 100) % 400
            t0 = time.perf_counter()
            r = client.get(f"/doors?limit=100&offset={offset}", headers=headers)
            times.append(time.perf_counter() - t0)
            assert r.status_code == 200 and len(r.json()) == 100
    times.sort()
    return {"p50_ms": 1000 * statistics.median(times),
            "p95_ms": 1000 * times[int(0.95 * len(times)) - 1]}


def bench_import(app, rows: int) -> dict:
    ctx = app.state.context
    with session_scope(ctx.engine) as s:
        street = s.scalar(select(Street).where(Street.code == "xinhua-road"))
        user = access.create_user(s, None, "bench-import", "street",
                                  Area(street.district_id, street.id))
        principal = access.principal_of(user)
    doors_csv = "street,committee,site,building,door,install_type\n" + "".join(
        f"xinhua-road,xinhua-road-c0,import site {i // 20},import building {i},main,new\n"
        for i in range(rows // 5))
    with session_scope(ctx.engine) as s:
        t0 = time.perf_counter()
        imports.import_doors(s, principal, doors_csv.encode("gbk"))
        doors_s = time.perf_counter() - t0
    persons_csv = "name,id_number,household,committee,site,building\n" + "".join(
        f"导入{i},{id_number(10_000_000 + i)},registered,xinhua-road-c0,import site 0,"
        f"import building {i % 20}\n" for i in range(rows))
    with session_scope(ctx.engine) as s:
        t0 = time.perf_counter()
        imports.import_persons(s, principal, ctx.vault, persons_csv.encode())
        persons_s = time.perf_counter() - t0
    return {"door_rows_per_s": (rows // 5) / doors_s, "person_rows_per_s": rows / persons_s}


def run(backend: str, url: str, per_door: int, import_rows: int) -> None:
    app = create_app(url, secret=SERVER_SECRET, root_secret=ROOT_SECRET)
    print(f"\n== {backend} ==", flush=True)
    pop = populate(app, per_door)
    print(f"registry: 2,500 doors, {pop['residents']:,} residents with active cards "
          f"(populated in {pop['populate_s']:.1f} s)", flush=True)
    cl = bench_card_lists(app)
    print(f"card lists: {cl['doors']:,} doors, {cl['entries']:,} entries: first build "
          f"{cl['first_build_s']:.2f} s ({cl['first_build_s'] / cl['doors'] * 1000:.2f} ms/door); "
          f"rebuild with no change {cl['rebuild_unchanged_s']:.2f} s, versions "
          f"{cl['versions_after_rebuild']}", flush=True)
    dl = bench_door_listing(app)
    print(f"door listing (street user, 100 doors a page): p50 {dl['p50_ms']:.1f} ms, "
          f"p95 {dl['p95_ms']:.1f} ms", flush=True)
    im = bench_import(app, import_rows)
    print(f"bulk import: persons {im['person_rows_per_s']:.0f} rows/s, doors "
          f"{im['door_rows_per_s']:.0f} rows/s ({import_rows:,} person rows)", flush=True)
    app.state.context.engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents-per-door", type=int, default=200)
    parser.add_argument("--import-rows", type=int, default=5000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    for backend in args.backends.split(","):
        if backend == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                run("SQLite", f"sqlite:///{tmp}/bench.sqlite3", args.residents_per_door,
                    args.import_rows)
        else:
            base = make_url(POSTGRES_URL)
            schema = f"doorctl_bench_{os.getpid()}_{secrets.token_hex(3)}"
            admin = create_engine(base)
            with admin.begin() as c:
                c.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
            try:
                url = base.update_query_dict({"options": f"-csearch_path={schema}"})
                run("PostgreSQL", url.render_as_string(hide_password=False),
                    args.residents_per_door, args.import_rows)
            finally:
                with admin.begin() as c:
                    c.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
                admin.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
