"""Service settings, parsed once from a mapping (the environment in production, a dict in tests)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import timedelta
from pathlib import Path
from typing import Any

from streams.article import Limits
from streams.errors import ConfigError

__all__ = ["KafkaSecurity", "Secret", "Settings", "setting_error"]

SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")
_REDACTED = "***"
_LIMITS = Limits()
_USERINFO = re.compile(r"(?<=://)[^/@;,]*@")


@dataclass(frozen=True, slots=True)
class Secret:
    """A value that must never reach a log line: its repr and str are redacted; `reveal()` reads it."""

    _value: str = field(repr=False)

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({_REDACTED!r})"

    def __str__(self) -> str:
        return _REDACTED


@dataclass(frozen=True, slots=True)
class KafkaSecurity:
    """How every Kafka client of the service authenticates and encrypts (aiokafka's names, in short)."""

    protocol: str = "PLAINTEXT"
    """PLAINTEXT | SSL | SASL_PLAINTEXT | SASL_SSL."""
    sasl_mechanism: str = "PLAIN"
    """PLAIN | SCRAM-SHA-256 | SCRAM-SHA-512."""
    sasl_username: str | None = None
    sasl_password: Secret | None = None
    ssl_cafile: Path | None = None
    """CA bundle that signed the brokers' certificates; None: the system's trust store."""
    ssl_certfile: Path | None = None
    """Client certificate (PEM) for mutual TLS."""
    ssl_keyfile: Path | None = None
    ssl_key_password: Secret | None = None
    ssl_check_hostname: bool = True

    @property
    def uses_ssl(self) -> bool:
        return self.protocol in ("SSL", "SASL_SSL")

    @property
    def uses_sasl(self) -> bool:
        return self.protocol in ("SASL_PLAINTEXT", "SASL_SSL")


@dataclass(frozen=True, slots=True, repr=False)
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
    control_topic: str = ""
    """Compacted topic of rules/watchlist/topics versions every worker follows; empty: `<app_id>.control.v1`."""
    partitions: int = 4
    """Partitions of the raw and output topics this app creates."""
    store: str = "rocksdb://"
    data_dir: Path = Path("/tmp/wirewatch-data")  # noqa: S108  # overridden per deployment
    web_host: str = "127.0.0.1"
    """Bind address of the web server (/metrics): loopback unless a deployment opens it (the image does)."""
    web_port: int = 6066
    watchlists: tuple[Path, ...] = ()
    """Empty: the shipped default watchlist."""
    topics_file: Path | None = None
    rules_file: Path | None = None
    dedup_horizon: timedelta = timedelta(hours=72)
    """How long, in event time, a story stays matchable by its copies (WIREWATCH_DEDUP_HORIZON_HOURS)."""
    log_level: str = "INFO"
    max_message_bytes: int = _LIMITS.max_message_bytes
    """A raw message larger than this is dead-lettered unread (and its dead letter keeps this many bytes)."""
    max_body_chars: int = _LIMITS.max_body_chars
    max_headline_chars: int = _LIMITS.max_headline_chars
    max_id_chars: int = _LIMITS.max_id_chars
    stream_buffer_maxsize: int = 64
    """Messages an agent may have buffered before Faust pauses fetching that partition. Not Faust's 4096:
    an enriched message carries a batch of up to 64 articles, so 4096 of them let a backlog fill ~1 GiB
    (bench/worker_memory.py: +4,765 B RSS per article at 100k, against +1,549 B at 64; same rate)."""
    max_poll_records: int | None = None
    """Records one poll may hand over (None: no limit, as in Faust)."""
    max_fetch_bytes: int = 2**20
    """Bytes one fetch may bring per partition (Faust's default, 1 MiB): what bounds memory under a backlog."""
    enrich_batch: int = 64
    """Enriched records handed to the decision stage in one message (at most; fewer when the stream is slow)."""
    enrich_linger: float = 0.005
    """Seconds the enrich stage waits for more raw messages before it hands over what it has."""
    enrich_processes: int = 0
    """Processes that run the enrich stage off the event loop (0: on it). Pays on a machine with a spare core."""
    producer_linger: float = 0.005
    """Seconds the producer waits to fill a batch (Faust's `producer_linger`)."""
    session_timeout: float = 30.0
    """Seconds before the group gives a silent (killed) worker's partitions to the others."""
    kafka: KafkaSecurity = KafkaSecurity()  # frozen: sharing the default is safe

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Unknown keys are ignored; a malformed value fails start-up, naming the variable."""
        values: dict[str, Any] = {}
        security: dict[str, Any] = {}
        for name, (target, parse) in _ENV.items():
            if name in env and env[name] != "":
                try:
                    value = parse(env[name])
                except (ValueError, OSError) as exc:
                    shown = _REDACTED if name in _SECRET_VARIABLES else repr(env[name])
                    error = ConfigError(_ENV_SOURCE, None, name, f"{exc} (got {shown})")
                    raise error from None
                if target.startswith("kafka."):
                    security[target.removeprefix("kafka.")] = value
                else:
                    values[target] = value
        settings = cls(**values, kafka=KafkaSecurity(**security))
        settings.check()
        return settings

    def check(self) -> None:
        """Rules that span several settings; each error names the variable to fix."""
        kafka = self.kafka
        if kafka.uses_sasl:
            for variable, value in (
                ("WIREWATCH_KAFKA_SASL_USERNAME", kafka.sasl_username),
                ("WIREWATCH_KAFKA_SASL_PASSWORD", kafka.sasl_password),
            ):
                if value is None:
                    raise ConfigError(_ENV_SOURCE, None, variable, f"required with security protocol {kafka.protocol}")
        if kafka.ssl_keyfile is not None and kafka.ssl_certfile is None:
            raise ConfigError(_ENV_SOURCE, None, "WIREWATCH_KAFKA_SSL_CERTFILE", "a key file needs its certificate")
        uses_files = any((kafka.ssl_cafile, kafka.ssl_certfile, kafka.ssl_keyfile))
        if uses_files and not kafka.uses_ssl:
            problem = f"SSL files are set but the security protocol is {kafka.protocol} (use SSL or SASL_SSL)"
            raise ConfigError(_ENV_SOURCE, None, "WIREWATCH_KAFKA_SECURITY_PROTOCOL", problem)
        if not 6 <= self.session_timeout <= 90:  # the broker's minimum; Faust's request timeout
            raise ConfigError(_ENV_SOURCE, None, "WIREWATCH_SESSION_TIMEOUT_S", "must be between 6 and 90 seconds")

    def __repr__(self) -> str:
        return f"Settings({', '.join(f'{name}={value!r}' for name, value in self.describe().items())})"

    def limits(self) -> Limits:
        """The core's input limits."""
        return Limits(self.max_message_bytes, self.max_body_chars, self.max_headline_chars, self.max_id_chars)

    @property
    def control(self) -> str:
        return self.control_topic or f"{self.app_id}.control.v1"

    def describe(self) -> dict[str, str]:
        """Settings for a start-up log line: secrets show as ***, credentials in the broker URL too."""
        described = {f.name: str(getattr(self, f.name)) for f in fields(self) if f.name != "kafka"}
        described["broker_url"] = _USERINFO.sub(f"{_REDACTED}@", self.broker_url)
        described |= {f"kafka_{f.name}": str(getattr(self.kafka, f.name)) for f in fields(self.kafka)}
        return described


def setting_error(variable: str, problem: str) -> ConfigError:
    """The start-up error for a setting: `environment: VARIABLE: problem`."""
    return ConfigError(_ENV_SOURCE, None, variable, problem)


def _paths(value: str) -> tuple[Path, ...]:
    return tuple(Path(p.strip()) for p in value.split(",") if p.strip())


def _int_at_least(minimum: int) -> Callable[[str], int]:
    def parse(value: str) -> int:
        number = int(value)
        if number < minimum:
            msg = f"must be at least {minimum}"
            raise ValueError(msg)
        return number

    return parse


_positive_int = _int_at_least(1)
_non_negative_int = _int_at_least(0)


def _positive_seconds(value: str) -> float:
    number = float(value)
    if not number > 0:
        msg = "must be a positive number of seconds"
        raise ValueError(msg)
    return number


def _hours(value: str) -> timedelta:
    hours = float(value)
    if not hours > 0 or hours == float("inf"):
        msg = "must be a positive number of hours"
        raise ValueError(msg)
    return timedelta(hours=hours)


def _choice(options: tuple[str, ...]) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if value.upper() not in options:
            msg = f"must be one of {', '.join(options)}"
            raise ValueError(msg)
        return value.upper()

    return parse


def _readable_file(value: str) -> Path:
    path = Path(value)
    with path.open("rb"):  # fail at start-up, not at the first connection; OSError names the file
        pass
    return path


def _secret_file(value: str) -> Secret:
    """`*_FILE` variables (Docker/Kubernetes secrets): the first line of the file is the secret."""
    lines = _readable_file(value).read_text(encoding="utf-8").splitlines()
    if not lines or not lines[0]:
        msg = f"{value}: the first line is empty"
        raise ValueError(msg)
    return Secret(lines[0])


def _boolean(value: str) -> bool:
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    msg = "must be true or false"
    raise ValueError(msg)


_ENV_SOURCE = "environment"
_ENV: Mapping[str, tuple[str, Callable[[str], Any]]] = {
    "WIREWATCH_APP_ID": ("app_id", str),
    "WIREWATCH_BROKER_URL": ("broker_url", str),
    "WIREWATCH_RAW_TOPIC_PATTERN": ("raw_topic_pattern", str),
    "WIREWATCH_ARTICLES_TOPIC": ("articles_topic", str),
    "WIREWATCH_DEADLETTER_TOPIC": ("deadletter_topic", str),
    "WIREWATCH_ENRICHED_TOPIC": ("enriched_topic", str),
    "WIREWATCH_CONTROL_TOPIC": ("control_topic", str),
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
    "WIREWATCH_MAX_MESSAGE_BYTES": ("max_message_bytes", _positive_int),
    "WIREWATCH_MAX_BODY_CHARS": ("max_body_chars", _positive_int),
    "WIREWATCH_MAX_HEADLINE_CHARS": ("max_headline_chars", _positive_int),
    "WIREWATCH_MAX_ID_CHARS": ("max_id_chars", _positive_int),
    "WIREWATCH_STREAM_BUFFER_MAXSIZE": ("stream_buffer_maxsize", _positive_int),
    "WIREWATCH_MAX_POLL_RECORDS": ("max_poll_records", _positive_int),
    "WIREWATCH_MAX_FETCH_BYTES": ("max_fetch_bytes", _positive_int),
    "WIREWATCH_ENRICH_BATCH": ("enrich_batch", _positive_int),
    "WIREWATCH_ENRICH_LINGER_S": ("enrich_linger", _positive_seconds),
    "WIREWATCH_ENRICH_PROCESSES": ("enrich_processes", _non_negative_int),
    "WIREWATCH_PRODUCER_LINGER_S": ("producer_linger", _positive_seconds),
    "WIREWATCH_SESSION_TIMEOUT_S": ("session_timeout", _positive_seconds),
    "WIREWATCH_KAFKA_SECURITY_PROTOCOL": ("kafka.protocol", _choice(SECURITY_PROTOCOLS)),
    "WIREWATCH_KAFKA_SASL_MECHANISM": ("kafka.sasl_mechanism", _choice(SASL_MECHANISMS)),
    "WIREWATCH_KAFKA_SASL_USERNAME": ("kafka.sasl_username", str),
    "WIREWATCH_KAFKA_SASL_PASSWORD": ("kafka.sasl_password", Secret),
    "WIREWATCH_KAFKA_SASL_PASSWORD_FILE": ("kafka.sasl_password", _secret_file),
    "WIREWATCH_KAFKA_SSL_CAFILE": ("kafka.ssl_cafile", _readable_file),
    "WIREWATCH_KAFKA_SSL_CERTFILE": ("kafka.ssl_certfile", _readable_file),
    "WIREWATCH_KAFKA_SSL_KEYFILE": ("kafka.ssl_keyfile", _readable_file),
    "WIREWATCH_KAFKA_SSL_KEY_PASSWORD": ("kafka.ssl_key_password", Secret),
    "WIREWATCH_KAFKA_SSL_CHECK_HOSTNAME": ("kafka.ssl_check_hostname", _boolean),
}
_SECRET_VARIABLES = frozenset(name for name, (_, parse) in _ENV.items() if parse in (Secret, _secret_file))
