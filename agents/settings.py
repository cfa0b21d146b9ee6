"""Service settings, parsed once from a mapping (the environment in production, a dict in tests)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import timedelta
from pathlib import Path
from typing import Any

from streams.errors import ConfigError

__all__ = ["Settings"]


def _paths(value: str) -> tuple[Path, ...]:
    return tuple(Path(p) for p in value.split(",") if p.strip())


def _positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        msg = "must be at least 1"
        raise ValueError(msg)
    return number


def _hours(value: str) -> timedelta:
    hours = float(value)
    if not hours > 0 or hours == float("inf"):
        msg = "must be a positive number of hours"
        raise ValueError(msg)
    return timedelta(hours=hours)


@dataclass(frozen=True, slots=True)
class Settings:
    app_id: str = "wirewatch"
    """Faust app id: the consumer group and the prefix of internal topics."""
    broker_url: str = "kafka://127.0.0.1:9092"
    raw_topic_pattern: str = r"^wire\.raw\..*"
    """Every topic matching this regex is consumed as a raw wire."""
    articles_topic: str = "wire.articles"
    deadletter_topic: str = "wire.deadletter"
    enriched_topic: str = "wirewatch.enriched.v1"
    """Internal hand-over from the parallel stage to the single-partition decision stage."""
    partitions: int = 4
    """Partitions of the raw and output topics this app creates."""
    store: str = "rocksdb://"
    data_dir: Path = Path("/tmp/wirewatch-data")  # noqa: S108  # overridden per deployment
    web_host: str = "127.0.0.1"
    web_port: int = 6066
    watchlists: tuple[Path, ...] = ()
    """Empty: the shipped default watchlist."""
    topics_file: Path | None = None
    rules_file: Path | None = None
    dedup_horizon: timedelta = timedelta(hours=72)
    """How long, in event time, a story stays matchable by its copies (WIREWATCH_DEDUP_HORIZON_HOURS)."""
    log_level: str = "INFO"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Unknown keys are ignored; a malformed value fails start-up, naming the variable."""
        values: dict[str, Any] = {}
        for name, (field, parse) in _ENV.items():
            if name in env and env[name] != "":
                try:
                    values[field] = parse(env[name])
                except ValueError as exc:
                    error = ConfigError(_ENV_SOURCE, None, name, f"{exc} (got {env[name]!r})")
                    raise error from None
        return cls(**values)

    def describe(self) -> dict[str, str]:
        """Settings for a start-up log line (nothing secret is kept here)."""
        return {f.name: str(getattr(self, f.name)) for f in fields(self)}


_ENV_SOURCE = "environment"
_ENV: Mapping[str, tuple[str, Callable[[str], Any]]] = {
    "WIREWATCH_APP_ID": ("app_id", str),
    "WIREWATCH_BROKER_URL": ("broker_url", str),
    "WIREWATCH_RAW_TOPIC_PATTERN": ("raw_topic_pattern", str),
    "WIREWATCH_ARTICLES_TOPIC": ("articles_topic", str),
    "WIREWATCH_DEADLETTER_TOPIC": ("deadletter_topic", str),
    "WIREWATCH_ENRICHED_TOPIC": ("enriched_topic", str),
    "WIREWATCH_PARTITIONS": ("partitions", _positive_int),
    "WIREWATCH_STORE": ("store", str),
    "WIREWATCH_DATA_DIR": ("data_dir", Path),
    "WIREWATCH_WEB_HOST": ("web_host", str),
    "WIREWATCH_WEB_PORT": ("web_port", _positive_int),
    "WIREWATCH_WATCHLIST": ("watchlists", _paths),
    "WIREWATCH_TOPICS_FILE": ("topics_file", Path),
    "WIREWATCH_RULES_FILE": ("rules_file", Path),
    "WIREWATCH_DEDUP_HORIZON_HOURS": ("dedup_horizon", _hours),
    "WIREWATCH_LOG_LEVEL": ("log_level", str.upper),
}
