"""Settings: parsed from the environment, checked at start-up, secrets redacted, Kafka security handed to
aiokafka (the CLI's clients and, through Faust, the worker's consumer and producer)."""

from __future__ import annotations

import asyncio
import logging
import ssl
import subprocess
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from agents.kafka_io import client_options
from agents.logconfig import configure_logging
from agents.service import build_service
from agents.settings import Secret, Settings
from streams.errors import ConfigError

PASSWORD = "pa55-w0rd-never-logged"


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory) -> dict[str, Path]:
    """A self-signed certificate and key (also used as the CA bundle), made with the openssl CLI."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "client.pem", folder / "client.key"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=wirewatch-test", "-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    return {"cert": cert, "key": key}


def _sasl_ssl_env(tls_files) -> dict[str, str]:
    return {
        "WIREWATCH_KAFKA_SECURITY_PROTOCOL": "sasl_ssl",
        "WIREWATCH_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
        "WIREWATCH_KAFKA_SASL_USERNAME": "wirewatch",
        "WIREWATCH_KAFKA_SASL_PASSWORD": PASSWORD,
        "WIREWATCH_KAFKA_SSL_CAFILE": str(tls_files["cert"]),
        "WIREWATCH_KAFKA_SSL_CERTFILE": str(tls_files["cert"]),
        "WIREWATCH_KAFKA_SSL_KEYFILE": str(tls_files["key"]),
    }


def _error(env: dict[str, str]) -> str:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(env)
    return str(caught.value)


def test_defaults_are_plaintext_on_loopback():
    """Without any variable the service talks PLAINTEXT and serves /metrics on 127.0.0.1 only."""
    settings = Settings.from_env({})

    assert settings.kafka.protocol == "PLAINTEXT"
    assert settings.web_host == "127.0.0.1"
    assert client_options(settings.kafka) == {"security_protocol": "PLAINTEXT"}


def test_limits_reach_the_core():
    """Body, headline, id and message limits come from WIREWATCH_* variables."""
    settings = Settings.from_env(
        {
            "WIREWATCH_MAX_MESSAGE_BYTES": "4096",
            "WIREWATCH_MAX_BODY_CHARS": "3000",
            "WIREWATCH_MAX_HEADLINE_CHARS": "80",
            "WIREWATCH_MAX_ID_CHARS": "40",
        }
    )
    limits = settings.limits()

    assert (limits.max_message_bytes, limits.max_body_chars, limits.max_headline_chars, limits.max_id_chars) == (
        4096,
        3000,
        80,
        40,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"WIREWATCH_MAX_BODY_CHARS": "lots"}, "environment: WIREWATCH_MAX_BODY_CHARS: invalid literal"),
        ({"WIREWATCH_PARTITIONS": "0"}, "environment: WIREWATCH_PARTITIONS: must be at least 1 (got '0')"),
        ({"WIREWATCH_SESSION_TIMEOUT_S": "2"}, "WIREWATCH_SESSION_TIMEOUT_S: must be between 6 and 90 seconds"),
        (
            {"WIREWATCH_KAFKA_SECURITY_PROTOCOL": "TLS"},
            "WIREWATCH_KAFKA_SECURITY_PROTOCOL: must be one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL",
        ),
        (
            {"WIREWATCH_KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "WIREWATCH_KAFKA_SASL_MECHANISM": "GSSAPI"},
            "WIREWATCH_KAFKA_SASL_MECHANISM: must be one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512",
        ),
        (
            {"WIREWATCH_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", "WIREWATCH_KAFKA_SASL_USERNAME": "u"},
            "WIREWATCH_KAFKA_SASL_PASSWORD: required with security protocol SASL_PLAINTEXT",
        ),
        ({"WIREWATCH_KAFKA_SSL_CAFILE": "/nonexistent/ca.pem"}, "WIREWATCH_KAFKA_SSL_CAFILE: [Errno 2]"),
        (
            {"WIREWATCH_KAFKA_SSL_CAFILE": __file__},
            "WIREWATCH_KAFKA_SECURITY_PROTOCOL: SSL files are set but the security protocol is PLAINTEXT",
        ),
    ],
    ids=["not-a-number", "zero", "session", "protocol", "mechanism", "no-password", "missing-file", "files-no-ssl"],
)
def test_bad_setting_fails_naming_the_variable(env, message):
    """A malformed or inconsistent setting stops start-up with one line naming the variable."""
    assert message in _error(env)


def test_bad_secret_is_not_echoed_in_the_error(tmp_path):
    """Even an invalid secret value never appears in the error message."""
    empty = tmp_path / "password"
    empty.write_text("\n")

    message = _error({"WIREWATCH_KAFKA_SASL_PASSWORD_FILE": str(empty)})

    assert "WIREWATCH_KAFKA_SASL_PASSWORD_FILE" in message
    assert "first line is empty" in message


def test_invalid_certificate_fails_start_up_naming_the_variable(tls_files):
    """A CA file that is not PEM fails when the TLS context is built, before any connection."""
    settings = Settings.from_env(
        {"WIREWATCH_KAFKA_SECURITY_PROTOCOL": "SSL", "WIREWATCH_KAFKA_SSL_CAFILE": str(tls_files["key"])}
    )
    with pytest.raises(ConfigError, match="WIREWATCH_KAFKA_SSL_CAFILE: cannot build the TLS context"):
        client_options(settings.kafka)


def test_describe_and_repr_redact_secrets(tls_files):
    """The start-up log line and the settings' repr show *** for passwords and URL credentials."""
    settings = Settings.from_env(
        {
            **_sasl_ssl_env(tls_files),
            "WIREWATCH_KAFKA_SSL_KEY_PASSWORD": "key-" + PASSWORD,
            "WIREWATCH_BROKER_URL": f"kafka://user:{PASSWORD}@broker-1:9093;kafka://broker-2:9093",
        }
    )
    described = settings.describe()

    assert PASSWORD not in str(described)
    assert PASSWORD not in repr(settings)
    assert described["kafka_sasl_password"] == "***"
    assert described["kafka_ssl_key_password"] == "***"
    assert described["broker_url"] == "kafka://***@broker-1:9093;kafka://broker-2:9093"
    assert described["kafka_sasl_username"] == "wirewatch"


def test_password_file_is_read_like_a_docker_secret(tmp_path):
    """WIREWATCH_KAFKA_SASL_PASSWORD_FILE reads the first line of the file."""
    secret = tmp_path / "password"
    secret.write_text(PASSWORD + "\n")

    settings = Settings.from_env(
        {
            "WIREWATCH_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
            "WIREWATCH_KAFKA_SASL_USERNAME": "u",
            "WIREWATCH_KAFKA_SASL_PASSWORD_FILE": str(secret),
        }
    )

    assert settings.kafka.sasl_password == Secret(PASSWORD)
    assert client_options(settings.kafka)["sasl_plain_password"] == PASSWORD


def test_start_up_log_line_holds_no_secret(tls_files, capsys):
    """The worker's `worker_starting` line, rendered by the real logging setup, carries no password."""
    import structlog

    settings = Settings.from_env(_sasl_ssl_env(tls_files))
    configure_logging("INFO")
    try:
        structlog.get_logger("test").info("worker_starting", **settings.describe())
        logging.getLogger("aiokafka").info("settings %r", settings)
    finally:
        structlog.reset_defaults()
        logging.getLogger().handlers.clear()
    output = capsys.readouterr().err

    assert "worker_starting" in output
    assert "SCRAM-SHA-512" in output
    assert PASSWORD not in output


async def test_cli_clients_get_sasl_and_tls(tls_files):
    """`ingest`, `tail` and topic creation build aiokafka clients with the SASL and TLS settings."""
    security = Settings.from_env(_sasl_ssl_env(tls_files)).kafka
    admin = AIOKafkaAdminClient(bootstrap_servers="broker:9093", **client_options(security))
    producer = AIOKafkaProducer(bootstrap_servers="broker:9093", **client_options(security))
    try:
        for client in (admin._client, producer.client):
            assert client._security_protocol == "SASL_SSL"
            assert client._sasl_mechanism == "SCRAM-SHA-512"
            assert client._sasl_plain_username == "wirewatch"
            assert client._sasl_plain_password == PASSWORD
            context: ssl.SSLContext = client._ssl_context
            assert context.verify_mode == ssl.CERT_REQUIRED
            assert context.check_hostname
    finally:
        await producer.stop()
        await admin.close()


async def test_worker_consumer_and_producer_get_sasl_and_tls(tls_files, small_config, tmp_path):
    """The Faust app passes the same credentials to the aiokafka consumer and producer it creates."""
    settings = Settings.from_env(
        {**_sasl_ssl_env(tls_files), "WIREWATCH_STORE": "memory://", "WIREWATCH_DATA_DIR": str(tmp_path)}
    )
    service = build_service(settings, small_config, ["wire.raw.test"], faust_metrics=False)
    app = service.app
    app.loop = asyncio.get_running_loop()
    app.finalize()

    producer = app.producer._new_producer()
    consumer = app.consumer._thread._create_worker_consumer(app.transport)
    try:
        for client in (producer.client, consumer._client):
            assert client._security_protocol == "SASL_SSL"
            assert client._sasl_mechanism == "SCRAM-SHA-512"
            assert (client._sasl_plain_username, client._sasl_plain_password) == ("wirewatch", PASSWORD)
            assert client._ssl_context.verify_mode == ssl.CERT_REQUIRED
    finally:
        await producer.stop()
        await consumer.stop()
    assert app.conf.web_bind == "127.0.0.1"
    assert app.conf.stream_buffer_maxsize == settings.stream_buffer_maxsize


async def test_ssl_without_sasl_reaches_faust(tls_files, small_config, tmp_path):
    """Mutual TLS alone (protocol SSL) becomes Faust SSL credentials and an SSL aiokafka consumer."""
    settings = Settings.from_env(
        {
            "WIREWATCH_KAFKA_SECURITY_PROTOCOL": "SSL",
            "WIREWATCH_KAFKA_SSL_CAFILE": str(tls_files["cert"]),
            "WIREWATCH_KAFKA_SSL_CERTFILE": str(tls_files["cert"]),
            "WIREWATCH_KAFKA_SSL_KEYFILE": str(tls_files["key"]),
            "WIREWATCH_KAFKA_SSL_CHECK_HOSTNAME": "false",
            "WIREWATCH_STORE": "memory://",
        }
    )
    service = build_service(settings, small_config, ["wire.raw.test"], faust_metrics=False)
    app = service.app
    app.loop = asyncio.get_running_loop()
    app.finalize()

    consumer = app.consumer._thread._create_worker_consumer(app.transport)
    try:
        assert consumer._client._security_protocol == "SSL"
        assert consumer._client._ssl_context.check_hostname is False
    finally:
        await consumer.stop()


def test_container_runs_as_a_non_root_user():
    """The image's final stage switches to an unprivileged user (uid 10001) before its entry point, and
    opens the metrics port on all interfaces only inside the container."""
    from tests.conftest import REPO

    text = (REPO / "deploy" / "docker" / "Dockerfile").read_text(encoding="utf-8")
    final = text.split("\nFROM ")[-1]  # the runtime stage
    users = [line.split()[1] for line in final.splitlines() if line.startswith("USER ")]

    assert users == ["wirewatch:wirewatch"]
    assert "--uid 10001" in final
    assert final.index("USER ") < final.index("ENTRYPOINT")
    assert "WIREWATCH_WEB_HOST=0.0.0.0" in final
