"""The dedup horizon: configurable by WIREWATCH_DEDUP_HORIZON_HOURS, applied in event time by replay and the worker."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest

from agents.cli import main
from agents.resources import load_config
from agents.settings import Settings
from streams.dedup import DedupPolicy
from streams.errors import ConfigError
from streams.pipeline import Config, Decider, Enricher, State
from tests.conftest import REPO, TEST_DATA

BODY = (
    "Officials from both countries met in Geneva on Tuesday to discuss a new grain export corridor, "
    "shipping insurance and the exchange of prisoners, according to a joint statement released after the talks."
)
T0 = datetime(2024, 7, 3, 11, 0, tzinfo=UTC)


def _raw(article_id: str, published: datetime) -> bytes:
    return orjson.dumps(
        {
            "id": article_id,
            "headline": "Talks in Geneva",
            "body": BODY,
            "source": article_id,
            "published": published.isoformat(),
        }
    )


def test_horizon_setting_is_read_in_hours():
    """WIREWATCH_DEDUP_HORIZON_HOURS sets the horizon; the default is 72 hours."""
    assert Settings.from_env({}).dedup_horizon == timedelta(hours=72)
    assert Settings.from_env({"WIREWATCH_DEDUP_HORIZON_HOURS": "1.5"}).dedup_horizon == timedelta(minutes=90)


@pytest.mark.parametrize("value", ["0", "-3", "soon", "nan", "inf"])
def test_bad_horizon_fails_start_up_naming_the_variable(value):
    """A horizon that is not a positive number of hours is a configuration error, not a silent default."""
    with pytest.raises(ConfigError, match="WIREWATCH_DEDUP_HORIZON_HOURS"):
        Settings.from_env({"WIREWATCH_DEDUP_HORIZON_HOURS": value})


def test_load_config_carries_the_horizon_into_the_dedup_policy():
    """The worker's configuration holds the horizon it was given (and 72 h when none is)."""
    files = ([TEST_DATA / "watchlist.small.yaml"], TEST_DATA / "topics.small.yaml", None)

    assert load_config(*files).dedup.horizon == timedelta(hours=72)
    assert load_config(*files, dedup_horizon=timedelta(hours=6)).dedup.horizon == timedelta(hours=6)


def _verdicts(config: Config, offsets: list[timedelta]) -> list[str | None]:
    enricher, decider = Enricher(config), Decider(config, State())
    return [
        decider.decide(enricher.enrich(_raw(f"wire-{i}", T0 + offset), fallback_time=None)).article["duplicate_of"]
        for i, offset in enumerate(offsets)
    ]


def test_copy_inside_the_horizon_joins_and_one_past_it_starts_a_new_story(small_config):
    """With a 6 h horizon a copy 5 h later is a duplicate, one 7 h after the first is a new original."""
    config = Config(
        small_config.watchlist, small_config.taxonomy, small_config.rules, dedup=DedupPolicy(timedelta(hours=6))
    )

    assert _verdicts(config, [timedelta(0), timedelta(hours=5), timedelta(hours=7)]) == [None, "wire-0", None]


def test_replay_honours_the_horizon_variable(tmp_path, monkeypatch):
    """`wirewatch replay` uses WIREWATCH_DEDUP_HORIZON_HOURS like the worker, so both give the same answers."""
    inputs = tmp_path / "in.jsonl"
    inputs.write_bytes(b"\n".join([_raw("first", T0), _raw("second", T0 + timedelta(hours=3))]) + b"\n")
    out = tmp_path / "articles.jsonl"
    args = ["replay", str(inputs), "--articles-out", str(out), "--alerts-out", str(tmp_path / "alerts.jsonl")]
    rules = ["--rules", str(REPO / "agents" / "defaults" / "rules.yaml")]
    small = ["--watchlist", str(TEST_DATA / "watchlist.small.yaml"), "--topics", str(TEST_DATA / "topics.small.yaml")]

    monkeypatch.setenv("WIREWATCH_DEDUP_HORIZON_HOURS", "2")
    assert main([*args, *rules, *small]) == 0
    short = [orjson.loads(line)["duplicate_of"] for line in out.read_bytes().splitlines()]
    monkeypatch.delenv("WIREWATCH_DEDUP_HORIZON_HOURS")
    assert main([*args, *rules, *small]) == 0
    default = [orjson.loads(line)["duplicate_of"] for line in out.read_bytes().splitlines()]

    assert short == [None, None]
    assert default == [None, "first"]
