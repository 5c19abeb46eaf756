"""`doorctl status/pull/sync/push` against a twin and a live server, and the demo's visit()."""
from host_tools.cli import main
from host_tools.maintenance_demo import visit

from .conftest import append, connect, setup_node


def test_cli_visit_and_demo_summary(district_twin, district, tmp_path, capsys):
    app, world, server = district
    node = connect(district_twin)
    setup_node(node)
    append(node, 300)
    node.close()
    spool = str(tmp_path / "spool.sqlite")
    url = district_twin.url
    assert main(["status", "--port", url]) == 0
    assert "door 1" in capsys.readouterr().out
    assert main(["pull", "--port", url, "--spool", spool]) == 0             # with the progress display
    assert "new events" in capsys.readouterr().out
    assert main(["sync", "--server", server.url, "--token", world.tokens["maintainer_a"], "--spool", spool]) == 0
    out = capsys.readouterr().out
    assert "uploaded" in out and "acknowledged up to" in out
    assert main(["push", "--port", url, "--spool", spool]) == 0
    assert "taken" in capsys.readouterr().out
    assert main(["sync", "--server", server.url, "--spool", spool, "--token", "nope"]) == 1
    assert "refused (401)" in capsys.readouterr().err
    node = connect(district_twin)
    setup_node(node)
    append(node, 40, 5000)
    node.close()
    summary = visit(url, tmp_path / "demo.sqlite", server.url, world.tokens["maintainer_a"])
    assert summary["door_id"] == 1 and summary["uploaded"] == 40 + 3 and summary["rejected"] == 0
    assert summary["acknowledged"] >= 340 and summary["node_unacked"] <= 2   # only the visit's own records
