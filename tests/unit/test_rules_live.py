"""A worker's running configuration: control messages are validated before they replace anything."""

from __future__ import annotations

import orjson
import pytest

from agents.cli import main
from agents.control import LiveConfig, encode
from streams.errors import ConfigError
from tests.conftest import REPO

RULES = (REPO / "agents" / "defaults" / "rules.yaml").read_text(encoding="utf-8")


def _message(kind: str, text: str, name: str = "doc.yaml") -> bytes:
    return orjson.dumps({"kind": kind, "documents": [{"name": name, "text": text}]})


@pytest.fixture
def live(small_config) -> LiveConfig:
    return LiveConfig(small_config)


def test_valid_rules_replace_the_rules_only(live):
    """A valid rules message switches the rules; the tagging (Enricher) stays as it was."""
    enricher = live.enricher
    change, config = live.prepare(_message("rules", RULES.replace("2026.11.26-2", "next-1")))

    live.install(change, config)

    assert (live.config.rules.version, change.previous) == ("next-1", "2026.11.26-2")
    assert live.enricher is enricher


def test_invalid_message_is_rejected_and_nothing_changes(live):
    """A document with an error raises ConfigError naming its file and line; the configuration stays."""
    before = live.config

    with pytest.raises(ConfigError, match=r"^bad-rules\.yaml:\d+: rules\[0\]\.severity: must be one of"):
        live.prepare(_message("rules", RULES.replace("severity: high", "severity: urgent"), "bad-rules.yaml"))
    with pytest.raises(ConfigError, match="control message: kind: must be one of"):
        live.prepare(_message("lexicon", RULES))
    with pytest.raises(ConfigError, match=r"control message: \(syntax\): not JSON"):
        live.prepare(b"{")

    assert live.config is before


def test_the_same_document_again_changes_nothing(live):
    """A redelivered or re-published identical document is a no-op."""
    message = _message("rules", RULES.replace("2026.11.26-2", "next-2"))
    live.install(*live.prepare(message))

    assert live.prepare(message) is None


def test_a_watchlist_change_rebuilds_the_enricher(live, small_config, tmp_path):
    """A new watchlist version gets a new Enricher, so new names are tagged."""
    path = tmp_path / "extra.yaml"
    path.write_text(
        'version: "w-2"\nentities:\n  - {id: "ww:x", name: Zara Quill, type: person, aliases: []}\n', encoding="utf-8"
    )
    live.install(*live.prepare(encode("watchlist", [path])))

    assert live.config.watchlist.version == "w-2"
    assert live.enricher.config.watchlist.version == "w-2"


def test_cli_refuses_an_invalid_file_before_touching_the_broker(tmp_path, capsys, monkeypatch):
    """`wirewatch config publish` validates first: an invalid file exits 2 with file, line and field."""
    monkeypatch.setenv("WIREWATCH_BROKER_URL", "kafka://127.0.0.1:1")  # nothing listens: it must not try
    bad = tmp_path / "rules.yaml"
    bad.write_text(RULES.replace("cooldown_hours: 48", "cooldown_hours: soon"), encoding="utf-8")

    assert main(["config", "publish", "--rules", str(bad)]) == 2
    assert "rules.yaml:" in capsys.readouterr().err
    assert main(["config", "publish"]) == 2
