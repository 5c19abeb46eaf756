"""Fixtures for the district server: one store per test, on SQLite and on PostgreSQL.

PostgreSQL is used whenever DOORCTL_TEST_POSTGRES_URL is set or left at its
default; if that server cannot be reached the PostgreSQL tests fail (they are
never skipped). Set DOORCTL_TEST_POSTGRES_URL="" to run on SQLite only.
Each test session works in a schema of its own, truncated before every test.
"""

from __future__ import annotations

import os
import secrets

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url

from .district_world import POSTGRES_URL, BACKENDS, ROOT_SECRET, SERVER_SECRET, World
from server.app import create_app


@pytest.fixture(scope="session")
def postgres_url():
    base = make_url(POSTGRES_URL)
    schema = f"doorctl_test_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(base)
    with admin.begin() as connection:  # fails (not skips) when the server is unreachable
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = base.update_query_dict({"options": f"-csearch_path={schema}"})
    yield url.render_as_string(hide_password=False)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    admin.dispose()


def _truncate(url: str) -> None:
    engine = create_engine(url)
    tables = [t for t in inspect(engine).get_table_names() if t != "alembic_version"]
    if tables:
        with engine.begin() as connection:
            connection.exec_driver_sql(
                "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/district.sqlite3"
    url = request.getfixturevalue("postgres_url")
    _truncate(url)
    return url


@pytest.fixture
def app(database_url):
    app = create_app(database_url, secret=SERVER_SECRET, root_secret=ROOT_SECRET)
    yield app
    app.state.context.engine.dispose()


@pytest.fixture
def client(app):
    with TestClient(app) as c:
        yield c


@pytest.fixture
def world(app):
    return World(app).build()
