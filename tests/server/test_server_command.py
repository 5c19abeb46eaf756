"""`doorctl server`: help text, documentation, bootstrap user, and a clear error for a bad URL."""

import argparse
from pathlib import Path

import pytest

from host_tools.errors import DoorctlError
from host_tools.server_command import create_district_user, register, server_command

DOCS = Path(__file__).resolve().parents[2] / "docs" / "server.md"


def _parser():
    parser = argparse.ArgumentParser(prog="doorctl")
    sub = parser.add_subparsers(dest="command")
    server = register(sub)
    return parser, server


def test_command_has_help_and_docs():
    _parser_, server = _parser()
    assert server.description and "SQLite" in server.description
    for action in server._actions:
        assert action.help, action.dest
    text = DOCS.read_text()
    assert "doorctl server" in text and "--create-user" in text


def test_create_user_prints_a_working_token(database_url, monkeypatch, tmp_path):
    monkeypatch.setenv("DOORCTL_SERVER_SECRET_FILE", str(tmp_path / "secret.key"))
    (tmp_path / "secret.key").write_text("ab" * 32)
    token = create_district_user(database_url, "ops-admin", 1)
    from fastapi.testclient import TestClient
    from server.app import create_app
    app = create_app(database_url)
    with TestClient(app) as client:
        me = client.get("/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["login"] == "ops-admin" and me["area"]["level"] == "district"
    app.state.context.engine.dispose()


def test_bad_database_url_is_a_user_error():
    parser, _server = _parser()
    args = parser.parse_args(["server", "--database", "nosuchdb://x", "--create-user", "a-b"])
    with pytest.raises(DoorctlError, match="database"):
        server_command(args)
