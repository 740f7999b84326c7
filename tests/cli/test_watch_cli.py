"""``tutorloop watch --once``, ``monitor`` (table and JSON) and ``report --since`` with a trend."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tests.run.watch_data import T0, line, session
from tutorloop.cli.app import app


def invoke(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_watch_once_then_monitor_and_report(tmp_path: Path) -> None:
    folder, store = tmp_path / "in", tmp_path / "s.db"
    folder.mkdir()
    records = [session(f"s{i}", T0 + i * 5, early=i >= 300) for i in range(400)]
    (folder / "a.jsonl").write_text("".join(line(r) for r in records) + "{broken\n")
    config = tmp_path / "watch.yaml"
    config.write_text(
        "watch:\n  bucket: 1h\n  drift: {window: 400, min_count: 30}\n"
        "  alerts: [{name: early, metric: 'check:no_direct_answer_initially'}]\n"
    )
    out = invoke(
        "watch", str(folder), "--once", "--config", str(config), "--store", str(store), "--json"
    )
    summary, _ = json.JSONDecoder().raw_decode(out[out.index("{\n") :])
    assert summary["graded"] == 400 and summary["problems"] == 1
    snapshot = json.loads(
        invoke("monitor", "--config", str(config), "--store", str(store), "--json")
    )
    assert snapshot["sessions"] == 400
    assert [a["rule"] for a in snapshot["alerts"]] == ["early"]
    assert any(d["significant"] for d in snapshot["drift"])
    table = invoke("monitor", "--config", str(config), "--store", str(store))
    assert "Drift: current vs baseline" in table and "early" in table
    report = tmp_path / "r.html"
    run = summary["runs"][0]
    invoke(
        "report",
        run,
        "--store",
        str(store),
        "--out",
        str(report),
        "--since",
        "2027-01-15T08:00:00Z",
        "--until",
        "2027-01-15T09:00:00Z",
    )
    assert 'id="trend"' in report.read_text()
