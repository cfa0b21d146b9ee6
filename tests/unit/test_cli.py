"""The `wirewatch` command line as a newcomer uses it: replay, exit codes, clear configuration errors."""

from __future__ import annotations

import re
import subprocess
import sys

import orjson

from agents.cli import main
from tests.conftest import REPO

SAMPLES = REPO / "agents" / "samples" / "wires.jsonl"


def test_replay_on_samples_prints_alerts(capsys):
    """`wirewatch replay` on the bundled wires prints the leaders-meeting alerts and a summary."""
    assert main(["replay", str(SAMPLES)]) == 0
    out, err = capsys.readouterr()
    meetings = [line for line in out.splitlines() if "leaders-meeting" in line]
    assert len(meetings) == 5
    assert any("Recep Tayyip Erdoğan + Vladimir Putin" in line and "M5 Dergi" in line for line in meetings)
    assert re.search(r"^  duplicates +1 ", err, re.M), err
    assert re.search(r"^  dead letters +1 ", err, re.M), err


def test_replay_writes_all_outputs(tmp_path):
    """Articles, alerts and dead letters go to their files; the broken line is dead-lettered, not fatal."""
    outs = {name: tmp_path / f"{name}.jsonl" for name in ("articles", "alerts", "dead")}
    code = main(
        [
            "replay",
            str(SAMPLES),
            "--articles-out",
            str(outs["articles"]),
            "--alerts-out",
            str(outs["alerts"]),
            "--deadletter-out",
            str(outs["dead"]),
        ]
    )
    assert code == 0
    articles = [orjson.loads(line) for line in outs["articles"].read_bytes().splitlines()]
    dead = [orjson.loads(line) for line in outs["dead"].read_bytes().splitlines()]
    assert len(articles) == 7
    assert [d["origin"]["line"] for d in dead] == [8]
    assert dead[0]["reason"] == "invalid_json"
    copy = next(a for a in articles if a["id"] == "dailysabah-erdogan-putin-astana")
    assert copy["duplicate_of"] == "m5dergi-erdogan-putin-astana"


def test_seed_alerts_erdogan_putin_but_not_assad(tmp_path, seed_text):
    """The seed gives one leaders-meeting alert for Erdoğan and Putin and none involving Assad."""
    headline, body = seed_text
    article = {
        "id": "seed",
        "headline": headline,
        "body": body,
        "source": "M5 Dergi",
        "published": "2024-07-03T18:00:00+03:00",
    }
    source = tmp_path / "seed.jsonl"
    source.write_bytes(orjson.dumps(article) + b"\n")
    alerts_out = tmp_path / "alerts.jsonl"
    assert main(["replay", str(source), "--alerts-out", str(alerts_out)]) == 0
    alerts = [orjson.loads(line) for line in alerts_out.read_bytes().splitlines()]
    meetings = [a for a in alerts if a["rule"] == "leaders-meeting"]
    assert [sorted(e["id"] for e in a["entities"]) for a in meetings] == [["Q39259", "Q7747"]]
    assert all("Q44329" not in {e["id"] for e in a["entities"]} for a in alerts)


def test_unreadable_input_is_a_usage_error(tmp_path, capsys):
    """A missing input file exits 2 and says which file."""
    assert main(["replay", str(tmp_path / "missing.jsonl")]) == 2
    assert "missing.jsonl" in capsys.readouterr().err


def test_invalid_rules_file_names_file_line_and_field(tmp_path, capsys):
    """A rules file with a mistake stops the run with file, line and field in one message."""
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        'version: "1"\nrules:\n  - id: r\n    version: "1"\n    severity: urgent\n'
        "    topic: t\n    cooldown_hours: 1\n    when: {topics: {all: [energy]}}\n"
    )
    assert main(["replay", str(SAMPLES), "--rules", str(rules)]) == 2
    err = capsys.readouterr().err
    assert f"{rules}:5: rules[0].severity: must be one of" in err


def test_console_script_help_describes_each_command():
    """`wirewatch COMMAND --help` works for every command (run as a real process)."""
    for command in ("replay", "worker", "ingest", "tail"):
        result = subprocess.run(
            [sys.executable, "-m", "agents", command, "--help"], capture_output=True, text=True, check=True, cwd=REPO
        )
        assert "usage: wirewatch" in result.stdout
        assert len(result.stdout.splitlines()) > 3


def test_agents_package_is_this_repository():
    """`agents` is a generic import name: make sure it resolves to this project, not another package."""
    import agents

    assert agents.__file__.startswith(str(REPO))
